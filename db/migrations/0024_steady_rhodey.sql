ALTER TABLE "paper_events" DROP CONSTRAINT "paper_events_seq";--> statement-breakpoint
DROP INDEX "paper_events_delivery_idx";--> statement-breakpoint
ALTER TABLE "paper_events" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "paper_events" ADD CONSTRAINT "paper_events_pkey" PRIMARY KEY("account_id","seq");
