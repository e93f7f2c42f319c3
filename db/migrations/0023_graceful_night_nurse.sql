CREATE TABLE "whatif_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"leader_id" uuid NOT NULL,
	"days" integer NOT NULL,
	"settings" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"event_count" integer,
	"result" jsonb,
	"error" text,
	"claimed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "whatif_runs" ADD CONSTRAINT "whatif_runs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "whatif_runs" ADD CONSTRAINT "whatif_runs_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "whatif_one_live_per_user" ON "whatif_runs" USING btree ("user_id") WHERE "whatif_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "whatif_queue_idx" ON "whatif_runs" USING btree ("status","created_at");