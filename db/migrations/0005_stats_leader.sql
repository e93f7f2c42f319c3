CREATE TABLE "leader_stats" (
	"leader_id" uuid PRIMARY KEY NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	"as_of_day" date,
	"snapshot_count" integer DEFAULT 0 NOT NULL,
	"return_1m" numeric,
	"return_3m" numeric,
	"return_1y" numeric,
	"return_all" numeric,
	"max_drawdown" numeric,
	"volatility" numeric,
	"sharpe" numeric,
	"risk_score" integer,
	"win_rate" numeric,
	"trades_per_week" numeric,
	"average_holding_hours" numeric,
	"closed_trades" integer DEFAULT 0 NOT NULL,
	"symbols" text[] DEFAULT '{}' NOT NULL,
	"asset_classes" text[] DEFAULT '{}' NOT NULL,
	"instrument_focus" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "leader_stats" ADD CONSTRAINT "leader_stats_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "leader_stats_return_1y_idx" ON "leader_stats" USING btree ("return_1y");--> statement-breakpoint
CREATE INDEX "leader_stats_risk_idx" ON "leader_stats" USING btree ("risk_score");