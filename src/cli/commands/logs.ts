/** `switchyard logs send`: report task log lines (they fire TASK_LOG triggers whose regex matches). */
import type { Command } from 'commander';
import { CliError, addConnectionOptions, connect } from '../client.js';
import { defaultIo, intArg, printJson, type Io } from '../format.js';

/** Lines per request when many come from stdin. */
const BATCH = 1000;

async function readLines(stdin: NodeJS.ReadableStream): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const lines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export function register(program: Command, io: Io = defaultIo()): void {
  const group = program.command('logs').description('report task logs');
  const send = group.command('send').description('send log lines of a task (arguments, one line each; else stdin)')
    .argument('[line...]', 'log lines; read from stdin when none are given')
    .requiredOption('--task-id <id>', 'the task the lines belong to')
    .requiredOption('--agent-id <id>', 'the agent (node) that produced them')
    .option('--experiment-id <n>', 'the experiment of a trial task', intArg('--experiment-id', 1))
    .option('--trial-id <n>', 'the trial (needs --experiment-id)', intArg('--trial-id', 1))
    .option('--task-type <type>', 'e.g. TRIAL, NOTEBOOK, COMMAND')
    .option('--workspace-id <n>', 'workspace of a task that is not an experiment', intArg('--workspace-id', 1))
    .addHelpText('after', '\nExamples:\n  switchyard logs send --task-id t1 --agent-id agent-0 --experiment-id 1 --trial-id 1 "CUDA out of memory"\n  tail -n 100 train.log | switchyard logs send --task-id t1 --agent-id agent-0\n');
  addConnectionOptions(send).action(async (args: string[], o: {
    taskId: string; agentId: string; experimentId?: number; trialId?: number; taskType?: string; workspaceId?: number;
  }, cmd: Command) => {
    if (o.trialId !== undefined && o.experimentId === undefined) throw new CliError('--trial-id needs --experiment-id', 2);
    const { client, json } = connect(cmd, io.env);
    client.ensureToken();
    if (args.length === 0 && io.stdin.isTTY) io.err('reading log lines from stdin (end with Ctrl-D)\n');
    const lines = args.length > 0 ? args : await readLines(io.stdin);
    if (lines.length === 0) throw new CliError('no log lines: pass them as arguments or on stdin', 2);
    const extra = {
      ...(o.experimentId !== undefined ? { experimentId: o.experimentId } : {}),
      ...(o.trialId !== undefined ? { trialId: o.trialId } : {}),
      ...(o.taskType !== undefined ? { taskType: o.taskType } : {}),
      ...(o.workspaceId !== undefined ? { workspaceId: o.workspaceId } : {}),
    };
    const responses: unknown[] = [];
    for (let i = 0; i < lines.length; i += BATCH) {
      const logs = lines.slice(i, i + BATCH).map((log) => ({ taskId: o.taskId, agentId: o.agentId, log, ...extra }));
      responses.push(await client.request('POST', '/api/v1/task/logs', { logs }));
    }
    if (json) return printJson(responses.length === 1 ? responses[0] : responses, io.out);
    io.out(`sent ${lines.length} log line${lines.length === 1 ? '' : 's'} of task ${o.taskId}\n`);
  });
}
