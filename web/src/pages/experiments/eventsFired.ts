/**
 * Events fired per experiment, as counted by this browser: the API tells how many events a state change fired
 * (`eventsFired`) but keeps no per-experiment total, so the page adds up the changes it made itself.
 */
const KEY = 'switchyard.experimentEvents';

type Counts = Record<string, number>;

function read(): Counts {
  try { return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Counts; } catch { return {}; }
}

export function eventsFired(id: number): number | undefined {
  return read()[String(id)];
}

export function addEventsFired(id: number, n: number): void {
  const c = read();
  c[String(id)] = (c[String(id)] ?? 0) + n;
  localStorage.setItem(KEY, JSON.stringify(c));
}
