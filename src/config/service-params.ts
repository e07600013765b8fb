// Per-transport parameters: a delivery transport named in master.cf (e.g.
// "relay" running smtp) may be tuned with "<transport><suffix>" parameters whose
// default is the general parameter (relay_destination_concurrency_limit ->
// $default_destination_concurrency_limit), as qmgr(8) and postconf(1) do.

/** [suffix, general parameter] for delivery agents (local, error, virtual, smtp, lmtp, pipe). */
export const TRANSPORT_PARAMS: ReadonlyArray<readonly [string, string]> = [
  ['_recipient_limit', 'default_recipient_limit'],
  ['_extra_recipient_limit', 'default_extra_recipient_limit'],
  ['_recipient_refill_limit', 'default_recipient_refill_limit'],
  ['_recipient_refill_delay', 'default_recipient_refill_delay'],
  ['_delivery_slot_cost', 'default_delivery_slot_cost'],
  ['_delivery_slot_loan', 'default_delivery_slot_loan'],
  ['_delivery_slot_discount', 'default_delivery_slot_discount'],
  ['_minimum_delivery_slots', 'default_minimum_delivery_slots'],
  ['_initial_destination_concurrency', 'initial_destination_concurrency'],
  ['_destination_concurrency_limit', 'default_destination_concurrency_limit'],
  ['_destination_recipient_limit', 'default_destination_recipient_limit'],
  ['_destination_concurrency_positive_feedback', 'default_destination_concurrency_positive_feedback'],
  ['_destination_concurrency_negative_feedback', 'default_destination_concurrency_negative_feedback'],
  ['_destination_concurrency_failed_cohort_limit', 'default_destination_concurrency_failed_cohort_limit'],
  ['_destination_rate_delay', 'default_destination_rate_delay'],
  ['_transport_rate_delay', 'default_transport_rate_delay'],
];

/** pipe(8) and spawn(8) also have "<service>_time_limit". */
export const TIME_LIMIT_PARAM: readonly [string, string] = ['_time_limit', 'command_time_limit'];

/** The general parameter behind a per-transport name, or undefined. */
export function transportParamDefault(name: string): string | undefined {
  for (const [suffix, general] of [...TRANSPORT_PARAMS, TIME_LIMIT_PARAM]) {
    if (name.length > suffix.length && name.endsWith(suffix)) return general;
  }
  return undefined;
}
