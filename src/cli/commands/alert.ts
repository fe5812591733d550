/** `switchyard alert`: what Determined's `core_context.alert()` sends; fires CUSTOM triggers of webhooks the experiment names. */
import { Option, type Command } from 'commander';
import { addConnectionOptions, connect } from '../client.js';
import { defaultIo, intArg, printJson, type Io } from '../format.js';

/** Like core_context.alert: warn → LOG_LEVEL_WARNING. */
const LEVELS: Record<string, string> = {
  debug: 'LOG_LEVEL_DEBUG', info: 'LOG_LEVEL_INFO', warn: 'LOG_LEVEL_WARNING', error: 'LOG_LEVEL_ERROR',
};

export function register(program: Command, io: Io = defaultIo()): void {
  const alert = program.command('alert').description("send a custom alert for an experiment (like Determined's core_context.alert)")
    .requiredOption('--experiment-id <n>', 'the experiment', intArg('--experiment-id', 1))
    .option('--trial-id <n>', 'the trial (default: none)', intArg('--trial-id', 1))
    .requiredOption('--title <title>', 'alert title')
    .option('--description <text>', 'alert description', '')
    .addOption(new Option('--level <level>', 'alert level').choices(Object.keys(LEVELS)).default('info'));
  addConnectionOptions(alert).action(async (o: {
    experimentId: number; trialId?: number; title: string; description: string; level: string;
  }, cmd: Command) => {
    const body = {
      data: { title: o.title, description: o.description, level: LEVELS[o.level] ?? 'LOG_LEVEL_INFO' },
      experimentId: o.experimentId,
      trialId: o.trialId ?? 0,
    };
    const { client, json } = connect(cmd, io.env);
    const res = await client.request('POST', '/api/v1/webhooks/custom', body);
    if (json) return printJson(res, io.out);
    io.out(`sent ${o.level} alert "${o.title}" for experiment ${o.experimentId}` +
      ' (it reaches webhooks with a CUSTOM trigger that the experiment names)\n');
  });
}
