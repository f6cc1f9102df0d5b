import { join } from 'node:path';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { tempDir } from '../helpers/app.js';
import { storeSuite } from './store-suite.js';

storeSuite('sqlite', async (retention) => {
  const tmp = tempDir();
  const store = new SqliteStore({ path: join(tmp.dir, 'fieldscope.db'), retention });
  await store.open();
  return {
    store,
    async cleanup() {
      await store.close();
      tmp.remove();
    },
  };
});
