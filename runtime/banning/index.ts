// Banning: the leader's ban credits and the ban applied on the banned node.
export { BanCredits } from './credits.js';
export type { BanCreditsDeps, BanDecision } from './credits.js';
export { BanState, BanStateError } from './ban-state.js';
export type { BanRequestResult, BanStateDeps } from './ban-state.js';
