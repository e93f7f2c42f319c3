CREATE TYPE "public"."user_role" AS ENUM('follower', 'leader', 'admin', 'support');--> statement-breakpoint
CREATE TYPE "public"."asset_class" AS ENUM('equity', 'etf', 'fx', 'future', 'crypto');--> statement-breakpoint
CREATE TYPE "public"."copy_status" AS ENUM('active', 'paused', 'stopped');--> statement-breakpoint
CREATE TYPE "public"."insufficient_funds_policy" AS ENUM('reduce', 'skip');--> statement-breakpoint
CREATE TYPE "public"."sizing_mode" AS ENUM('proportional', 'multiplier', 'fixed_notional');--> statement-breakpoint
CREATE TYPE "public"."order_origin" AS ENUM('copy', 'reconcile', 'risk', 'manual');--> statement-breakpoint
CREATE TYPE "public"."order_side" AS ENUM('buy', 'sell');--> statement-breakpoint
CREATE TYPE "public"."order_status" AS ENUM('pending_submit', 'submitted', 'accepted', 'partially_filled', 'filled', 'pending_cancel', 'cancelled', 'rejected', 'expired', 'unknown');--> statement-breakpoint
CREATE TYPE "public"."order_type" AS ENUM('market', 'limit');--> statement-breakpoint
CREATE TYPE "public"."breaker_scope" AS ENUM('global', 'leader', 'instrument', 'broker');--> statement-breakpoint
CREATE TYPE "public"."decision_action" AS ENUM('placed', 'reduced', 'skipped', 'none');--> statement-breakpoint
CREATE TABLE "auth_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"display_name" text NOT NULL,
	"role" "user_role" DEFAULT 'follower' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "broker_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"broker" text DEFAULT 'paper' NOT NULL,
	"external_id" text NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"label" text DEFAULT 'Main' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "broker_accounts_broker_external" UNIQUE("broker","external_id")
);
--> statement-breakpoint
CREATE TABLE "candles" (
	"symbol" text NOT NULL,
	"interval" text NOT NULL,
	"open_time" timestamp with time zone NOT NULL,
	"open" numeric NOT NULL,
	"high" numeric NOT NULL,
	"low" numeric NOT NULL,
	"close" numeric NOT NULL,
	"volume" numeric DEFAULT '0' NOT NULL,
	"trades" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "candles_symbol_interval_open_time_pk" PRIMARY KEY("symbol","interval","open_time")
);
--> statement-breakpoint
CREATE TABLE "instrument_aliases" (
	"broker" text NOT NULL,
	"broker_symbol" text NOT NULL,
	"symbol" text NOT NULL,
	CONSTRAINT "instrument_aliases_broker_broker_symbol_pk" PRIMARY KEY("broker","broker_symbol")
);
--> statement-breakpoint
CREATE TABLE "instruments" (
	"symbol" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"asset_class" "asset_class" NOT NULL,
	"currency" text NOT NULL,
	"tick_size" numeric NOT NULL,
	"qty_step" numeric NOT NULL,
	"min_qty" numeric NOT NULL,
	"min_notional" numeric NOT NULL,
	"multiplier" numeric DEFAULT '1' NOT NULL,
	"max_leverage" numeric DEFAULT '1' NOT NULL,
	"commission_per_unit" numeric DEFAULT '0' NOT NULL,
	"trading_hours" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quotes" (
	"symbol" text PRIMARY KEY NOT NULL,
	"bid" numeric NOT NULL,
	"ask" numeric NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leaders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"handle" text NOT NULL,
	"display_name" text NOT NULL,
	"bio" text DEFAULT '' NOT NULL,
	"strategy" text DEFAULT '' NOT NULL,
	"broker_account_id" uuid NOT NULL,
	"copyable" boolean DEFAULT true NOT NULL,
	"min_allocation" numeric DEFAULT '100' NOT NULL,
	"performance_fee_pct" numeric DEFAULT '0' NOT NULL,
	"track_record_started_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "leaders_user_id_unique" UNIQUE("user_id"),
	CONSTRAINT "leaders_handle_unique" UNIQUE("handle")
);
--> statement-breakpoint
CREATE TABLE "copy_positions" (
	"relationship_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"qty" numeric DEFAULT '0' NOT NULL,
	"avg_cost" numeric DEFAULT '0' NOT NULL,
	"realized_pnl" numeric DEFAULT '0' NOT NULL,
	"fees" numeric DEFAULT '0' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "copy_positions_relationship_id_symbol_pk" PRIMARY KEY("relationship_id","symbol")
);
--> statement-breakpoint
CREATE TABLE "copy_relationships" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"follower_id" uuid NOT NULL,
	"leader_id" uuid NOT NULL,
	"broker_account_id" uuid NOT NULL,
	"status" "copy_status" DEFAULT 'active' NOT NULL,
	"sizing_mode" "sizing_mode" DEFAULT 'proportional' NOT NULL,
	"allocation" numeric,
	"factor" numeric,
	"notional" numeric,
	"ratio" numeric,
	"ratio_fixed_at" timestamp with time zone,
	"reference_capital" numeric NOT NULL,
	"copy_stop_loss_pct" numeric,
	"max_symbol_exposure" numeric,
	"max_open_positions" integer,
	"max_slippage_bps" integer,
	"daily_loss_limit" numeric,
	"on_insufficient_funds" "insufficient_funds_policy" DEFAULT 'reduce' NOT NULL,
	"copy_open_positions" boolean DEFAULT false NOT NULL,
	"agreement_version" text NOT NULL,
	"consented_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"stopped_at" timestamp with time zone,
	"stop_reason" text,
	"last_leader_seq" bigint DEFAULT 0 NOT NULL,
	"last_replicated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "copy_symbol_ratios" (
	"relationship_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"ratio" numeric NOT NULL,
	CONSTRAINT "copy_symbol_ratios_relationship_id_symbol_pk" PRIMARY KEY("relationship_id","symbol")
);
--> statement-breakpoint
CREATE TABLE "event_streams" (
	"stream" text PRIMARY KEY NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"stream" text NOT NULL,
	"seq" bigint NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"correlation_id" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "events_stream_seq" UNIQUE("stream","seq")
);
--> statement-breakpoint
CREATE TABLE "leader_fills" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"leader_id" uuid NOT NULL,
	"broker_trade_id" text NOT NULL,
	"broker_order_id" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"qty" numeric NOT NULL,
	"price" numeric NOT NULL,
	"position_after" numeric NOT NULL,
	"event_seq" bigint NOT NULL,
	"filled_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "leader_fills_trade" UNIQUE("leader_id","broker_trade_id")
);
--> statement-breakpoint
CREATE TABLE "work_leases" (
	"key" text PRIMARY KEY NOT NULL,
	"owner" text,
	"token" bigint DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fills" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"broker_account_id" uuid NOT NULL,
	"broker_trade_id" text NOT NULL,
	"qty" numeric NOT NULL,
	"price" numeric NOT NULL,
	"fee" numeric DEFAULT '0' NOT NULL,
	"filled_at" timestamp with time zone NOT NULL,
	CONSTRAINT "fills_trade" UNIQUE("broker_account_id","broker_trade_id")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"client_order_id" text NOT NULL,
	"broker_account_id" uuid NOT NULL,
	"relationship_id" uuid,
	"symbol" text NOT NULL,
	"side" "order_side" NOT NULL,
	"type" "order_type" DEFAULT 'market' NOT NULL,
	"qty" numeric NOT NULL,
	"limit_price" numeric,
	"status" "order_status" DEFAULT 'pending_submit' NOT NULL,
	"filled_qty" numeric DEFAULT '0' NOT NULL,
	"avg_price" numeric,
	"origin" "order_origin" NOT NULL,
	"leader_fill_id" text,
	"leader_event_seq" bigint,
	"broker_order_id" text,
	"reject_reason" text,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"correlation_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "orders_client_order_id_unique" UNIQUE("client_order_id")
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"broker_account_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"qty" numeric DEFAULT '0' NOT NULL,
	"avg_cost" numeric DEFAULT '0' NOT NULL,
	"realized_pnl" numeric DEFAULT '0' NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "positions_broker_account_id_symbol_pk" PRIMARY KEY("broker_account_id","symbol")
);
--> statement-breakpoint
CREATE TABLE "journals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"description" text NOT NULL,
	"correlation_id" text,
	"order_id" uuid,
	"relationship_id" uuid,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"currency" text NOT NULL,
	"owner_user_id" uuid,
	CONSTRAINT "ledger_accounts_code_ccy" UNIQUE("code","currency")
);
--> statement-breakpoint
CREATE TABLE "postings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"journal_id" bigint NOT NULL,
	"ledger_account_id" uuid NOT NULL,
	"amount" numeric NOT NULL,
	"currency" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "circuit_breakers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" "breaker_scope" NOT NULL,
	"scope_key" text NOT NULL,
	"reason" text NOT NULL,
	"opened_by" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"closed_by" text
);
--> statement-breakpoint
CREATE TABLE "copy_decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"relationship_id" uuid NOT NULL,
	"leader_fill_id" text NOT NULL,
	"leader_event_seq" bigint NOT NULL,
	"symbol" text NOT NULL,
	"target" numeric NOT NULL,
	"order_qty" numeric NOT NULL,
	"action" "decision_action" NOT NULL,
	"reason" text NOT NULL,
	"checks" jsonb NOT NULL,
	"client_order_id" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "copy_decisions_once" UNIQUE("relationship_id","leader_fill_id")
);
--> statement-breakpoint
CREATE TABLE "reconciliation_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"broker_account_id" uuid,
	"relationship_id" uuid,
	"symbol" text,
	"expected" text,
	"actual" text,
	"action" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"mismatches" bigint DEFAULT 0 NOT NULL,
	"actions" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_user_id" uuid,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "equity_snapshots" (
	"owner_type" text NOT NULL,
	"owner_id" text NOT NULL,
	"day" date NOT NULL,
	"equity" numeric NOT NULL,
	"net_flow" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "equity_snapshots_owner_type_owner_id_day_pk" PRIMARY KEY("owner_type","owner_id","day")
);
--> statement-breakpoint
CREATE TABLE "paper_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"cash" numeric NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"fault_state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"margin_enabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "paper_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"event" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "paper_events_seq" UNIQUE("account_id","seq")
);
--> statement-breakpoint
CREATE TABLE "paper_fills" (
	"trade_id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"account_id" text NOT NULL,
	"qty" numeric NOT NULL,
	"price" numeric NOT NULL,
	"commission" numeric NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "paper_orders" (
	"id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"client_order_id" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"type" text NOT NULL,
	"qty" numeric NOT NULL,
	"limit_price" numeric,
	"status" text NOT NULL,
	"filled_qty" numeric DEFAULT '0' NOT NULL,
	"avg_price" numeric,
	"reject_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "paper_orders_client" UNIQUE("account_id","client_order_id")
);
--> statement-breakpoint
CREATE TABLE "paper_positions" (
	"account_id" text NOT NULL,
	"symbol" text NOT NULL,
	"qty" numeric NOT NULL,
	"avg_cost" numeric NOT NULL,
	CONSTRAINT "paper_positions_account_id_symbol_pk" PRIMARY KEY("account_id","symbol")
);
--> statement-breakpoint
ALTER TABLE "broker_accounts" ADD CONSTRAINT "broker_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "candles" ADD CONSTRAINT "candles_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instrument_aliases" ADD CONSTRAINT "instrument_aliases_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quotes" ADD CONSTRAINT "quotes_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leaders" ADD CONSTRAINT "leaders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leaders" ADD CONSTRAINT "leaders_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_positions" ADD CONSTRAINT "copy_positions_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_positions" ADD CONSTRAINT "copy_positions_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD CONSTRAINT "copy_relationships_follower_id_users_id_fk" FOREIGN KEY ("follower_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD CONSTRAINT "copy_relationships_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_relationships" ADD CONSTRAINT "copy_relationships_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_symbol_ratios" ADD CONSTRAINT "copy_symbol_ratios_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_symbol_ratios" ADD CONSTRAINT "copy_symbol_ratios_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leader_fills" ADD CONSTRAINT "leader_fills_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leader_fills" ADD CONSTRAINT "leader_fills_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fills" ADD CONSTRAINT "fills_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fills" ADD CONSTRAINT "fills_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_symbol_instruments_symbol_fk" FOREIGN KEY ("symbol") REFERENCES "public"."instruments"("symbol") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postings" ADD CONSTRAINT "postings_journal_id_journals_id_fk" FOREIGN KEY ("journal_id") REFERENCES "public"."journals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postings" ADD CONSTRAINT "postings_ledger_account_id_ledger_accounts_id_fk" FOREIGN KEY ("ledger_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_decisions" ADD CONSTRAINT "copy_decisions_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_run_id_reconciliation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."reconciliation_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_fills" ADD CONSTRAINT "paper_fills_order_id_paper_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."paper_orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_orders" ADD CONSTRAINT "paper_orders_account_id_paper_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."paper_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_positions" ADD CONSTRAINT "paper_positions_account_id_paper_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."paper_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "candles_time_idx" ON "candles" USING btree ("interval","open_time");--> statement-breakpoint
CREATE INDEX "copy_rel_leader_idx" ON "copy_relationships" USING btree ("leader_id","status");--> statement-breakpoint
CREATE INDEX "copy_rel_follower_idx" ON "copy_relationships" USING btree ("follower_id");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type");--> statement-breakpoint
CREATE INDEX "leader_fills_seq_idx" ON "leader_fills" USING btree ("leader_id","event_seq");--> statement-breakpoint
CREATE INDEX "fills_order_idx" ON "fills" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "orders_account_idx" ON "orders" USING btree ("broker_account_id","status");--> statement-breakpoint
CREATE INDEX "orders_rel_idx" ON "orders" USING btree ("relationship_id","created_at");--> statement-breakpoint
CREATE INDEX "postings_account_idx" ON "postings" USING btree ("ledger_account_id");--> statement-breakpoint
CREATE INDEX "postings_journal_idx" ON "postings" USING btree ("journal_id");--> statement-breakpoint
CREATE INDEX "breakers_open_idx" ON "circuit_breakers" USING btree ("scope","scope_key","closed_at");--> statement-breakpoint
CREATE INDEX "copy_decisions_rel_idx" ON "copy_decisions" USING btree ("relationship_id","at");--> statement-breakpoint
CREATE INDEX "audit_actor_idx" ON "audit_log" USING btree ("actor_user_id","at");--> statement-breakpoint
CREATE INDEX "audit_target_idx" ON "audit_log" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "paper_orders_open_idx" ON "paper_orders" USING btree ("account_id","status");