import { openPostgresStore, requirePostgres } from '../helpers/postgres.js';
import { storeSuite } from './store-suite.js';

const { skip } = requirePostgres('store suite on PostgreSQL');

storeSuite('postgres', (retention) => openPostgresStore(retention), skip);
