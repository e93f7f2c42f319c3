-- The audit log is append-only: whatever the app's code (or a SQL injection) tries, a row once
-- written cannot be changed or removed. The app's role owns the table, so privileges alone
-- would not stop it; a trigger does, for the owner too.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();--> statement-breakpoint
-- Who asked: a request sets tandem.ip / tandem.user_agent for its transaction (set_config(...,
-- true)); every audit row written in it, by any layer, carries them without passing them down.
CREATE OR REPLACE FUNCTION audit_log_fill_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.ip IS NULL THEN NEW.ip := nullif(current_setting('tandem.ip', true), ''); END IF;
  IF NEW.user_agent IS NULL THEN NEW.user_agent := nullif(current_setting('tandem.user_agent', true), ''); END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER audit_log_fill_request BEFORE INSERT ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION audit_log_fill_request();--> statement-breakpoint
-- A leader's trading account is never a follower account: its trades are what followers copy,
-- so a copy trading in it feeds its own fills back to the leader stream (the x69 loop).
CREATE OR REPLACE FUNCTION copy_rel_not_leader_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "leaders" l WHERE l."broker_account_id" = NEW."broker_account_id") THEN
    RAISE EXCEPTION 'copy_relationships: account % is a leader trading account', NEW."broker_account_id"
      USING ERRCODE = 'check_violation', CONSTRAINT = 'copy_rel_not_leader_account';
  END IF;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER copy_rel_not_leader_account BEFORE INSERT OR UPDATE OF "broker_account_id" ON "copy_relationships"
  FOR EACH ROW EXECUTE FUNCTION copy_rel_not_leader_account();
