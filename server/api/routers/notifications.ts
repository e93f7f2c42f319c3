import "server-only";
import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { notificationPreferences, notifications } from "../../../db/schema";
import { choiceField, flagField, form, intField } from "../../domain/inputs";
import { KIND_INFO, NOTIFICATION_KINDS } from "../../notify/kinds";
import { protectedProcedure, router } from "../trpc";

/** Every query is the caller's own: a notification id of someone else's simply matches nothing. */
const mine = (userId: string) =>
  and(eq(notifications.userId, userId), eq(notifications.inApp, true));

const notificationId = z
  .number({ error: "Notification is not a valid id" })
  .int({ error: "Notification is not a valid id" })
  .positive({ error: "Notification is not a valid id" })
  .max(Number.MAX_SAFE_INTEGER, { error: "Notification is not a valid id" });

export const notificationsRouter = router({
  unreadCount: protectedProcedure.query(async ({ ctx }) => {
    const [row] = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(notifications)
      .where(and(mine(ctx.viewer.id), isNull(notifications.readAt)));
    // The newest unread one too, so a live page can show it as a toast when it arrives.
    const [latest] = await ctx.db
      .select({
        id: notifications.id,
        title: notifications.title,
        body: notifications.body,
        link: notifications.link,
      })
      .from(notifications)
      .where(and(mine(ctx.viewer.id), isNull(notifications.readAt)))
      .orderBy(desc(notifications.id))
      .limit(1);
    return { unread: Number(row?.n ?? 0), latest: latest ?? null };
  }),

  list: protectedProcedure
    .input(
      form({
        before: notificationId.optional(),
        limit: intField({ label: "Page size", min: 1, max: 100 }).optional(),
      }).optional(),
    )
    .query(async ({ ctx, input }) => {
      const limit = input?.limit ?? 30;
      const rows = await ctx.db
        .select({
          id: notifications.id,
          kind: notifications.kind,
          title: notifications.title,
          body: notifications.body,
          link: notifications.link,
          createdAt: notifications.createdAt,
          readAt: notifications.readAt,
        })
        .from(notifications)
        .where(
          and(mine(ctx.viewer.id), input?.before ? lt(notifications.id, input.before) : undefined),
        )
        .orderBy(desc(notifications.id))
        .limit(limit + 1);
      return {
        items: rows.slice(0, limit),
        nextBefore: rows.length > limit ? rows[limit - 1]!.id : null,
      };
    }),

  markRead: protectedProcedure
    .input(
      form({
        ids: z
          .array(notificationId, { error: "Notifications must be a list" })
          .max(200, { error: "At most 200 notifications at a time" })
          .optional(),
        all: flagField("All").optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (!input.all && !input.ids?.length) return { marked: 0 };
      const rows = await ctx.db
        .update(notifications)
        .set({ readAt: new Date() })
        .where(
          and(
            mine(ctx.viewer.id),
            isNull(notifications.readAt),
            input.all ? undefined : inArray(notifications.id, input.ids!),
          ),
        )
        .returning({ id: notifications.id });
      return { marked: rows.length };
    }),

  preferences: protectedProcedure.query(async ({ ctx }) => {
    const saved = await ctx.db
      .select()
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, ctx.viewer.id));
    return NOTIFICATION_KINDS.map((kind) => {
      const s = saved.find((p) => p.kind === kind);
      const info = KIND_INFO[kind];
      return {
        kind,
        label: info.label,
        description: info.description,
        inApp: s?.inApp ?? info.inApp,
        email: s?.email ?? info.email,
      };
    });
  }),

  setPreference: protectedProcedure
    .input(
      form({
        kind: choiceField("Kind", NOTIFICATION_KINDS, "one of the notification kinds listed"),
        inApp: flagField("In the app"),
        email: flagField("By e-mail"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.db
        .insert(notificationPreferences)
        .values({ userId: ctx.viewer.id, ...input, updatedAt: new Date() })
        .onConflictDoUpdate({
          target: [notificationPreferences.userId, notificationPreferences.kind],
          set: { inApp: input.inApp, email: input.email, updatedAt: new Date() },
        });
      return { kind: input.kind, inApp: input.inApp, email: input.email };
    }),
});
