import type { Sql } from 'postgres';
import type { ChangeNotice } from '../store.js';

/** The channel every node LISTENs on (src/cluster/change-feed.ts). */
export const CHANGE_CHANNEL = 'fieldscope_changes';

/** Reads a notice's payload: {kind, id}, as the trigger below sends it; null for anything else. */
export function parseNotice(payload: string): ChangeNotice | null {
  try {
    const c = JSON.parse(payload) as Partial<ChangeNotice>;
    return typeof c?.kind === 'string' && typeof c.id === 'string' ? { kind: c.kind, id: c.id } : null;
  } catch {
    return null;
  }
}

/**
 * Shared state announces itself. The payload carries the key only (NOTIFY payloads are capped at
 * 8000 bytes, and a secret's hash has no business on a channel any session may LISTEN to): a trigger on each table that nodes cache in memory NOTIFYs at commit
 * (nothing on a rolled-back write), so every writer is covered, whichever node or tool it is. The
 * alarms table NOTIFYs only on a raise and on a status change, never on a counted repeat (the hot path).
 */
export async function changeNotifyMigration(sql: Sql): Promise<void> {
  await sql.unsafe(`
    CREATE FUNCTION fieldscope_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
    BEGIN
      PERFORM pg_notify('${CHANGE_CHANNEL}', json_build_object('kind', TG_ARGV[0], 'id', r->>TG_ARGV[1])::text);
      RETURN NULL;
    END $$;
    CREATE TRIGGER alarm_rules_changed AFTER INSERT OR UPDATE OR DELETE ON alarm_rules
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('rule', 'id');
    CREATE TRIGGER profiles_changed AFTER INSERT OR UPDATE OR DELETE ON profiles
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('profile', 'name');
    CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('user', 'id');
    CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('api_key', 'id');
    CREATE TRIGGER device_credentials_changed AFTER INSERT OR UPDATE OR DELETE ON device_credentials
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('device_credential', 'device');
    CREATE TRIGGER refresh_tokens_ended AFTER DELETE ON refresh_tokens
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('session', 'family');
    CREATE TRIGGER devices_profile_bound AFTER UPDATE ON devices
      FOR EACH ROW WHEN (OLD.profile IS DISTINCT FROM NEW.profile)
      EXECUTE FUNCTION fieldscope_notify_change('device_profile', 'id');
    CREATE TRIGGER device_commands_changed AFTER UPDATE ON device_commands
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
      EXECUTE FUNCTION fieldscope_notify_change('command', 'id');
    CREATE TRIGGER alarms_raised AFTER INSERT ON alarms
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('alarm', 'id');
    CREATE TRIGGER alarms_status_changed AFTER UPDATE ON alarms
      FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.cleared_at IS DISTINCT FROM NEW.cleared_at)
      EXECUTE FUNCTION fieldscope_notify_change('alarm', 'id');
    -- Topic mappings kept in the store (added through the API) announce themselves too, where that table exists by now.
    DO $$ BEGIN
      IF to_regclass('topic_mappings') IS NOT NULL THEN
        CREATE TRIGGER topic_mappings_changed AFTER INSERT OR UPDATE OR DELETE ON topic_mappings
          FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('mapping', 'id');
      END IF;
    END $$;
  `);
}

/**
 * OTA rollouts are driven by one node (the run-once lease holder) but created, cancelled and
 * reported to through any node: a rollout's row announces its id, a device's job row its device.
 */
export async function otaChangeNotifyMigration(sql: Sql): Promise<void> {
  await sql.unsafe(`
    CREATE TRIGGER rollouts_changed AFTER INSERT OR UPDATE ON ota_rollouts
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('rollout', 'id');
    CREATE TRIGGER ota_jobs_changed AFTER INSERT OR UPDATE ON ota_jobs
      FOR EACH ROW EXECUTE FUNCTION fieldscope_notify_change('ota_job', 'device');
  `);
}
