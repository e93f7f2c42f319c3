CREATE TABLE "alpaca_stream_events" (
	"account_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"event_key" text NOT NULL,
	"event" jsonb,
	"delivered" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alpaca_stream_events_account_id_seq_pk" PRIMARY KEY("account_id","seq"),
	CONSTRAINT "alpaca_stream_events_key" UNIQUE("account_id","event_key")
);
