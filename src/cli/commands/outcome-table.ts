import type { Outcome } from '../../core/model.ts';
import type { Column } from '../output.ts';

/** The table view of outcomes shared by `process`, `worker` and `local`. */
export const outcomeColumns: readonly Column<Outcome>[] = [
  { header: 'ACCOUNT', value: (o) => o.accountId },
  { header: 'USER', value: (o) => o.userName },
  { header: 'OUTCOME', value: (o) => o.outcome },
  { header: 'ACTIONS', value: (o) => o.actions.map((a) => `${a.action}:${a.result}`).join(' '), flex: true },
  { header: 'DEADLINE', value: (o) => o.deadline },
  { header: 'REASON', value: (o) => o.reason, flex: true },
];
