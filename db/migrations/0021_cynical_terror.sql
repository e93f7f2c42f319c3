CREATE TABLE "leader_verifications" (
	"leader_id" uuid PRIMARY KEY NOT NULL,
	"verified" boolean NOT NULL,
	"fills_checked" integer NOT NULL,
	"fills_matched" integer NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mismatches" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	"verified_since" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "leader_verifications" ADD CONSTRAINT "leader_verifications_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;