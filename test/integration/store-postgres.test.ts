import { PostgresStore } from '../../src/stores/postgres/postgres-store.js';
import { requirePostgres, startPostgres } from '../helpers/postgres.js';
import { storeSuite } from './store-suite.js';

const { skip } = requirePostgres('store suite on PostgreSQL');

storeSuite(
  'postgres',
  async (retention) => {
    const pg = await startPostgres();
    const store = new PostgresStore({ url: await pg.createDatabase(), retention });
    try {
      await store.open();
    } catch (err) {
      await pg.destroy();
      throw err;
    }
    return {
      store,
      async cleanup() {
        await store.close();
        await pg.destroy();
      },
    };
  },
  skip,
);
