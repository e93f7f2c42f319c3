CREATE TABLE "leader_charges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"leader_id" uuid NOT NULL,
	"broker_charge_id" text NOT NULL,
	"broker_order_id" text NOT NULL,
	"symbol" text NOT NULL,
	"amount" numeric NOT NULL,
	"event_seq" bigint NOT NULL,
	"charged_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	CONSTRAINT "leader_charges_charge" UNIQUE("leader_id","broker_charge_id")
);
--> statement-breakpoint
ALTER TABLE "leader_charges" ADD CONSTRAINT "leader_charges_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "leader_charges_at_idx" ON "leader_charges" USING btree ("leader_id","charged_at");