CREATE TABLE "account_balances" (
	"broker_account_id" uuid PRIMARY KEY NOT NULL,
	"currency" text NOT NULL,
	"cash" numeric NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "broker_event_cursors" (
	"broker_account_id" uuid PRIMARY KEY NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "copy_day_marks" (
	"relationship_id" uuid NOT NULL,
	"day" date NOT NULL,
	"pnl_at_start" numeric NOT NULL,
	CONSTRAINT "copy_day_marks_relationship_id_day_pk" PRIMARY KEY("relationship_id","day")
);
--> statement-breakpoint
CREATE TABLE "leader_books" (
	"leader_id" uuid PRIMARY KEY NOT NULL,
	"cash" numeric NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leader_positions" (
	"leader_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"qty" numeric NOT NULL,
	"opened_at_seq" bigint,
	CONSTRAINT "leader_positions_leader_id_symbol_pk" PRIMARY KEY("leader_id","symbol")
);
--> statement-breakpoint
CREATE TABLE "replication_cursors" (
	"leader_id" uuid PRIMARY KEY NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_balances" ADD CONSTRAINT "account_balances_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "broker_event_cursors" ADD CONSTRAINT "broker_event_cursors_broker_account_id_broker_accounts_id_fk" FOREIGN KEY ("broker_account_id") REFERENCES "public"."broker_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "copy_day_marks" ADD CONSTRAINT "copy_day_marks_relationship_id_copy_relationships_id_fk" FOREIGN KEY ("relationship_id") REFERENCES "public"."copy_relationships"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leader_books" ADD CONSTRAINT "leader_books_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "leader_positions" ADD CONSTRAINT "leader_positions_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replication_cursors" ADD CONSTRAINT "replication_cursors_leader_id_leaders_id_fk" FOREIGN KEY ("leader_id") REFERENCES "public"."leaders"("id") ON DELETE no action ON UPDATE no action;