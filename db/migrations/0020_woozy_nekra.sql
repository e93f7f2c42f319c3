CREATE TABLE "metric_samples" (
	"minute" timestamp with time zone NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"sum" double precision DEFAULT 0 NOT NULL,
	"max" double precision DEFAULT 0 NOT NULL,
	CONSTRAINT "metric_samples_minute_owner_name_label_pk" PRIMARY KEY("minute","owner","name","label")
);
--> statement-breakpoint
CREATE TABLE "copy_fee_terms" (
	"relationship_id" uuid PRIMARY KEY NOT NULL,
	"schedule_id" uuid,
	"consented_at" timestamp with time zone NOT NULL,
	"accepted_schedule_id" uuid,
	"accepted_at" timestamp with time zone,
	"effective_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "fee_cash_moves" (
	"copy_fee_id" bigint PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"leader_amount" numeric NOT NULL,
	"platform_amount" numeric NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fee_period_marks" (
	"relationship_id" uuid NOT NULL,
	"period" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"equity" numeric NOT NULL,
	"unrealized" numeric NOT NULL,
	"high_water_mark_before" numeric NOT NULL,
	"high_water_mark_after" numeric NOT NULL,
	CONSTRAINT "fee_period_marks_relationship_id_at_pk" PRIMARY KEY("relationship_id","at")
);
--> statement-breakpoint
CREATE TABLE "fee_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"leader_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"performance_fee_pct" numeric NOT NULL,
	"management_fee_pct_year" numeric NOT NULL,
	"platform_fee_bps" numeric NOT NULL,
	"period" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "platform_fee_settings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"platform_fee_bps" numeric NOT NULL,
	"platform_share_pct" numeric NOT NULL,
	"set_by" uuid,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "copy_fee_terms" ADD CONSTRAINT "copy_fee_terms_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_fee_terms" ADD CONSTRAINT "copy_fee_terms_schedule_id_fee_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."fee_schedules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_fee_terms" ADD CONSTRAINT "copy_fee_terms_accepted_schedule_id_fee_schedules_id_fk" FOREIGN KEY ("accepted_schedule_id") REFERENCES "public"."fee_schedules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_cash_moves" ADD CONSTRAINT "fee_cash_moves_copy_fee_id_copy_fees_id_fk" FOREIGN KEY ("copy_fee_id") REFERENCES "public"."copy_fees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_period_marks" ADD CONSTRAINT "fee_period_marks_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_schedules" ADD CONSTRAINT "fee_schedules_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "metric_samples_name_minute_idx" ON "metric_samples" USING btree ("name","minute");--> statement-breakpoint
CREATE UNIQUE INDEX "fee_schedules_leader_version" ON "fee_schedules" USING btree ("leader_id","version");--> statement-breakpoint
CREATE INDEX "copy_positions_symbol_idx" ON "copy_positions" USING btree ("symbol");