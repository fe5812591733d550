/**
 * Live views: pages that show changing data (deliveries, captures, runs) poll the API while the tab is visible.
 * The server has no event stream yet, so this is react-query's refetchInterval; a page uses
 * `useQuery({ ..., ...live() })` and stops polling when hidden (react-query pauses background refetches).
 */
export const LIVE_INTERVAL_MS = 2000;

export function live(intervalMs = LIVE_INTERVAL_MS): { refetchInterval: number; refetchIntervalInBackground: false } {
  return { refetchInterval: intervalMs, refetchIntervalInBackground: false };
}
