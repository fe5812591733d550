/**
 * At start: loads the secrets key (SWITCHYARD_SECRETS_KEY, else `<data_dir>/secrets.key`, generated on first start),
 * checks it against the check value the database keeps (a wrong key is a clear startup error, not garbled secrets
 * later), and seals any secrets still stored in plaintext (databases from before encryption).
 */
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { sqlitePath } from '../config.js';
import type { Store } from '../store/store.js';
import { CHECK_SETTING, loadSecretsKey, SecretBox } from '../store/secret-box.js';

export async function settleSecretsKey(store: Store, config: Config): Promise<SecretBox> {
  // The key file lives beside the data (data_dir; the database's folder when only its path is configured).
  const dir = config.database.sqlite_path ? dirname(sqlitePath(config)) : config.data_dir;
  const { key, source } = loadSecretsKey(dir, config.secrets.key);
  const box = new SecretBox(key);
  const check = await store.getSetting(CHECK_SETTING);
  if (check !== null && !box.matches(check)) {
    throw new Error(`the secrets key from ${source} is not the key this database's secrets were encrypted with: ` +
      'start with the original key (SWITCHYARD_SECRETS_KEY or the secrets.key file that was in the data folder)');
  }
  store.setSecretBox(box);
  if (check === null) {
    await store.transaction(async (tx) => {
      await tx.sealPlaintextSecrets();
      await tx.putSetting(CHECK_SETTING, box.checkValue());
    });
  }
  return box;
}
