//! Order manager: journal first, submit, resend safely, reconcile, state machine.
