/**
 * SQLite WAL checkpoints in a worker thread with its own connection, so the thread that commits (the API's, which
 * also answers the catch hooks) never stops to copy the log into the database file and fsync it. The committing
 * connection keeps a large automatic checkpoint only as a backstop, for when this thread cannot keep up or is gone.
 *
 * PASSIVE checkpoints never wait for the writer or readers: they copy what they can and the writer starts the log
 * over once all of it was copied. Durability is unchanged: a commit is in the WAL (and survives kill -9) before
 * its caller hears of it; checkpoints only move committed pages.
 *
 * This file is both sides: `startCheckpointer` (main thread) and the thread's entry (below, when not the main thread).
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** How often the thread checkpoints while there is nothing to copy; it goes again at once after copying. */
const IDLE_MS = 50;
/** The pause between checkpoints while frames are left to copy (a reader holds them, or the writer added more). */
const BURST_MS = 5;

export interface Checkpointer { stop(): Promise<void> }

export function startCheckpointer(path: string): Checkpointer {
  const w = new Worker(new URL(import.meta.url), {
    workerData: { checkpointPath: path },
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
  });
  w.unref();
  // A checkpointer that fails leaves the backstop; it is not worth more than a line on stderr.
  w.on('error', (e) => process.stderr.write(`switchyard: the SQLite checkpoint thread stopped: ${(e as Error).message}\n`));
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        // Held until it has closed its connection (unref'd, the process could end first).
        w.ref();
        w.postMessage('stop');
      });
      return stopped;
    },
  };
}

async function runThread(path: string): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.pragma('busy_timeout = 0');
  let stopping = false;
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    timer = null;
    if (stopping) return;
    let more = false;
    try {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
      more = r !== undefined && r.log > r.checkpointed;
    } catch {
      // SQLITE_BUSY (another checkpoint is running, e.g. the backstop): try again later.
    }
    timer = setTimeout(tick, more ? BURST_MS : IDLE_MS);
  };
  parentPort!.on('message', (m) => {
    if (m !== 'stop') return;
    stopping = true;
    if (timer) clearTimeout(timer);
    db.close();
    parentPort!.close();
  });
  tick();
}

if (!isMainThread && (workerData as { checkpointPath?: string } | null)?.checkpointPath) {
  void runThread((workerData as { checkpointPath: string }).checkpointPath);
}
