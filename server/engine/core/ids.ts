/**
 * Client order ids are derived, never random: the same (relationship, leader event) always
 * gives the same id, so a retry or a restarted worker can only ever name the same order.
 */
export const copyOrderId = (relationshipId: string, leaderSeq: number) =>
  `cp-${relationshipId}-${leaderSeq}`;
export const reconcileOrderId = (relationshipId: string, runId: string, symbol: string) =>
  `rc-${relationshipId}-${runId.slice(0, 8)}-${symbol}`;
export const riskOrderId = (relationshipId: string, reason: string, symbol: string, seq: number) =>
  `rk-${relationshipId}-${reason}-${symbol}-${seq}`;
