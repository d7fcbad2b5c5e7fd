//! The retry schedule for automatic `POST /{phone_number_id}/register` attempts.
//!
//! Meta allows 10 register (or deregister) requests per phone number in any moving 72-hour window;
//! the 11th fails with 133016 and blocks registration for 72 hours. The schedule stays at
//! [`MAX_ATTEMPTS_PER_WINDOW`] (8) so that an operator still has room for manual attempts, backs
//! off exponentially between attempts, and never retries errors that a retry cannot fix.
//!
//! Times are `i64` Unix seconds. A 72-hour window is half-open: the window ending at `t` is
//! `(t - WINDOW_SECONDS, t]`, so two attempts exactly [`WINDOW_SECONDS`] apart are never in the same
//! window.

use crate::decision::{decide, display_name_approved, Reason};
use crate::meaning::{Meaning, RegistrationRetry};
use serde_json::{Map, Value};

/// The error of the last registration attempt: `None` when there was no attempt or it succeeded,
/// else what Meta's error meant (an error that is not Meta's, such as a timeout, is
/// [`Meaning::Other`]).
pub type LastError = Option<Meaning>;

/// Length of Meta's moving window for the register/deregister limit.
pub const WINDOW_SECONDS: i64 = 72 * 3600;
/// Most automatic attempts in any window (Meta blocks after 10).
pub const MAX_ATTEMPTS_PER_WINDOW: usize = 8;
/// Back-off after the first attempt in a window; doubles with every further recent attempt.
pub const BASE_BACKOFF_SECONDS: i64 = 15 * 60;
/// Longest back-off between two attempts.
pub const MAX_BACKOFF_SECONDS: i64 = 24 * 3600;

/// `min(BASE * 2^(recent - 1), MAX)`, with `recent == 0` treated like 1.
fn backoff(recent: usize) -> i64 {
    let exponent = recent.saturating_sub(1);
    u32::try_from(exponent)
        .ok()
        .and_then(|e| 2_i64.checked_pow(e))
        .map_or(MAX_BACKOFF_SECONDS, |factor| {
            BASE_BACKOFF_SECONDS
                .saturating_mul(factor)
                .min(MAX_BACKOFF_SECONDS)
        })
}

/// Earliest time a new register attempt is allowed, or `None` when no automatic attempt should be
/// made.
///
/// * `attempts`: the times of earlier register attempts of this number, in any order, duplicates
///   allowed; attempts in the future (clock skew) count at their recorded time. The caller must
///   record every attempt, including failed ones (a 133016 answer is an attempt too).
/// * `now`: the current time.
/// * `last_error`: the outcome of the last attempt.
/// * `health`: fresh health of the number when known.
///
/// Rules, in order:
/// 1. `health` given and [`decide`] says [`Reason::Provisioned`]: `None` (nothing to do).
/// 2. An error whose [`Meaning::registration_retry`] is [`RegistrationRetry::Never`] (a PIN
///    mismatch, a locked or blocked account, an authorization error, a number that needs
///    verification or is still on a phone's WhatsApp): `None`; these need a person.
/// 3. [`Meaning::DisplayNamePending`]: `None` when `health` is `None` or the display name is not
///    approved yet ([`display_name_approved`]). This is not a permanent "never": the caller is
///    expected to fetch fresh health later and ask again; once the name is approved the normal
///    back-off below applies.
/// 4. Back-off: with no attempts at all, now. Otherwise the latest attempt plus
///    `min(BASE_BACKOFF_SECONDS * 2^(recent - 1), MAX_BACKOFF_SECONDS)`, where `recent` is the
///    number of attempts after `now - WINDOW_SECONDS` (with no recent attempt, `BASE_BACKOFF_SECONDS`).
///    The answer is never earlier than `now`: "due" means the answer is `<= now`.
/// 5. [`Meaning::RegistrationLimit`] (133016): not before the latest attempt plus [`WINDOW_SECONDS`].
/// 6. Window cap, always: while the window `(t - WINDOW_SECONDS, t]` ending at the candidate `t`
///    already holds [`MAX_ATTEMPTS_PER_WINDOW`] attempts, move the candidate to the earliest of
///    them plus `WINDOW_SECONDS + 1` (one second of margin beyond the half-open boundary). An
///    attempt made at the answer, or at any later time before another attempt is recorded, never
///    makes any window hold more than [`MAX_ATTEMPTS_PER_WINDOW`] attempts.
///
/// Arithmetic saturates. In the degenerate case where no representable time satisfies the window
/// cap (attempts recorded near `i64::MAX`), the answer is `None`.
pub fn next_registration_at(
    attempts: &[i64],
    now: i64,
    last_error: LastError,
    health: Option<&Map<String, Value>>,
) -> Option<i64> {
    // 1. Nothing to do when the number is provisioned.
    if let Some(h) = health {
        if decide(h).reason == Reason::Provisioned {
            return None;
        }
    }

    // 2. and 3. Errors a retry cannot fix (or not yet).
    let retry = last_error.map(Meaning::registration_retry);
    match retry {
        Some(RegistrationRetry::Never) => return None,
        Some(RegistrationRetry::AfterNameApproval)
            if !health.is_some_and(display_name_approved) =>
        {
            return None
        }
        _ => {}
    }

    let mut sorted = attempts.to_vec();
    sorted.sort_unstable();

    // 4. Exponential back-off from the latest attempt.
    let mut candidate = match sorted.last() {
        None => now,
        Some(&last) => {
            // In i128 so that attempts near i64::MIN are not lost to saturation.
            let window_start = i128::from(now) - i128::from(WINDOW_SECONDS);
            let recent = sorted
                .iter()
                .filter(|&&a| i128::from(a) > window_start)
                .count();
            last.saturating_add(backoff(recent)).max(now)
        }
    };

    // 5. Meta blocks registration for 72 hours after 133016.
    if retry == Some(RegistrationRetry::AfterWindow) {
        if let Some(&last) = sorted.last() {
            candidate = candidate.max(last.saturating_add(WINDOW_SECONDS));
        }
    }

    // 6. Window cap. Every attempt is <= candidate here (candidate >= latest attempt), so the
    // window ending at the candidate is the fullest of the windows that contain it.
    loop {
        let window_start = i128::from(candidate) - i128::from(WINDOW_SECONDS);
        // Attempts in (window_start, candidate]: from the first one after window_start up to the
        // first one after candidate.
        let lo = sorted.partition_point(|&a| i128::from(a) <= window_start);
        let hi = sorted.partition_point(|&a| a <= candidate);
        if hi - lo < MAX_ATTEMPTS_PER_WINDOW {
            return Some(candidate);
        }
        let next = sorted[lo].saturating_add(WINDOW_SECONDS).saturating_add(1);
        if next <= candidate {
            // Saturated at i64::MAX: no representable time satisfies the cap.
            return None;
        }
        candidate = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const H: i64 = 3600;
    const DAY: i64 = 24 * H;
    const T0: i64 = 1_760_000_000;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn provisioned() -> Map<String, Value> {
        obj(json!({
            "code_verification_status": "VERIFIED",
            "platform_type": "CLOUD_API",
            "throughput": {"level": "STANDARD"},
            "name_status": "APPROVED",
        }))
    }

    /// Verified but not provisioned, display name approved.
    fn pending_approved() -> Map<String, Value> {
        obj(json!({
            "code_verification_status": "VERIFIED",
            "platform_type": "NOT_APPLICABLE",
            "throughput": {"level": "NOT_APPLICABLE"},
            "name_status": "APPROVED",
        }))
    }

    /// Verified but not provisioned, display name pending review.
    fn pending_name_in_review() -> Map<String, Value> {
        obj(json!({
            "code_verification_status": "VERIFIED",
            "platform_type": "NOT_APPLICABLE",
            "name_status": "PENDING_REVIEW",
        }))
    }

    /// The largest number of attempts in any half-open window `(t - W, t]`.
    fn max_in_any_window(attempts: &[i64]) -> usize {
        let mut s: Vec<i128> = attempts.iter().map(|&a| i128::from(a)).collect();
        s.sort_unstable();
        let w = i128::from(WINDOW_SECONDS);
        // The fullest window can always be taken to end at an attempt.
        s.iter()
            .map(|&end| s.iter().filter(|&&a| a > end - w && a <= end).count())
            .max()
            .unwrap_or(0)
    }

    /// The largest number of attempts, `extra` included, in any window that contains `extra`.
    fn max_in_windows_containing(attempts: &[i64], extra: i64) -> usize {
        let mut all: Vec<i128> = attempts.iter().map(|&a| i128::from(a)).collect();
        all.push(i128::from(extra));
        let w = i128::from(WINDOW_SECONDS);
        let x = i128::from(extra);
        // Windows containing x end in [x, x + W); the count only changes at attempt times.
        let mut ends: Vec<i128> = all
            .iter()
            .copied()
            .filter(|&a| a >= x && a < x + w)
            .collect();
        ends.push(x);
        ends.iter()
            .map(|&end| all.iter().filter(|&&a| a > end - w && a <= end).count())
            .max()
            .unwrap_or(0)
    }

    /// 133006 (verify first), 2388001 meaning "registered to an existing WhatsApp account",
    /// 131031 and 133005 need a person: no automatic attempt, even with fresh health that says
    /// registration is needed. 133010 (not registered) is what registration fixes: back off as usual.
    #[test]
    fn errors_that_need_a_person_stop_the_schedule() {
        let in_use = Meaning::of(
            Some(100),
            Some(2_388_001),
            &[
                None,
                Some("This number is registered to an existing WhatsApp account."),
            ],
        );
        for meaning in [
            Meaning::of(Some(133_006), None, &[]),
            in_use,
            Meaning::of(Some(131_031), None, &[]),
            Meaning::of(Some(133_005), None, &[]),
        ] {
            let at = next_registration_at(&[T0], T0 + H, Some(meaning), Some(&pending_approved()));
            assert_eq!(at, None, "{meaning:?}");
        }
        let not_registered = Meaning::of(Some(133_010), None, &[]);
        let at = next_registration_at(
            &[T0],
            T0 + H,
            Some(not_registered),
            Some(&pending_approved()),
        );
        assert_eq!(at, Some(T0 + H));
        // The display-name meaning of 2388001 waits for the approval instead.
        let name = Meaning::of(
            Some(100),
            Some(2_388_001),
            &[None, Some("Your display name could not be processed.")],
        );
        assert_eq!(
            next_registration_at(&[T0], T0 + H, Some(name), Some(&pending_name_in_review())),
            None
        );
        assert!(
            next_registration_at(&[T0], T0 + H, Some(name), Some(&pending_approved())).is_some()
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0), 15 * 60);
        assert_eq!(backoff(1), 15 * 60);
        assert_eq!(backoff(2), 30 * 60);
        assert_eq!(backoff(3), H);
        assert_eq!(backoff(7), 16 * H);
        assert_eq!(backoff(8), DAY);
        assert_eq!(backoff(64), DAY);
        assert_eq!(backoff(usize::MAX), DAY);
    }

    #[test]
    fn rule1_provisioned_health_means_none() {
        for e in [None, Some(Meaning::Other), Some(Meaning::RegistrationLimit)] {
            assert_eq!(next_registration_at(&[], T0, e, Some(&provisioned())), None);
        }
        // Health that needs registration does not stop it.
        assert_eq!(
            next_registration_at(&[], T0, None, Some(&pending_approved())),
            Some(T0)
        );
    }

    #[test]
    fn rule2_never_automatically() {
        for e in [
            Some(Meaning::PinMismatch),
            Some(Meaning::AccountLocked),
            Some(Meaning::Authorization),
        ] {
            assert_eq!(next_registration_at(&[], T0, e, None), None);
            assert_eq!(
                next_registration_at(&[T0 - DAY], T0, e, Some(&pending_approved())),
                None
            );
        }
    }

    #[test]
    fn rule3_display_name_pending_waits_for_approval() {
        let attempts = [T0 - H];
        let e = Some(Meaning::DisplayNamePending);
        assert_eq!(next_registration_at(&attempts, T0, e, None), None);
        assert_eq!(
            next_registration_at(&attempts, T0, e, Some(&pending_name_in_review())),
            None
        );
        let mut change_in_review = pending_approved();
        change_in_review.insert("new_name_status".into(), json!("PENDING_REVIEW"));
        assert_eq!(
            next_registration_at(&attempts, T0, e, Some(&change_in_review)),
            None
        );
        // Approved: the normal back-off (1 recent attempt -> 15 min after it, already past).
        assert_eq!(
            next_registration_at(&attempts, T0, e, Some(&pending_approved())),
            Some(T0)
        );
        assert_eq!(
            next_registration_at(&[T0 - 60], T0, e, Some(&pending_approved())),
            Some(T0 - 60 + 15 * 60)
        );
    }

    #[test]
    fn rule4_backoff() {
        let e = Some(Meaning::Other);
        // No attempts: now.
        assert_eq!(next_registration_at(&[], T0, e, None), Some(T0));
        assert_eq!(next_registration_at(&[], T0, None, None), Some(T0));
        // One attempt: 15 minutes after it.
        assert_eq!(next_registration_at(&[T0], T0, e, None), Some(T0 + 15 * 60));
        // Two recent attempts: 30 minutes after the latest.
        assert_eq!(
            next_registration_at(&[T0 - H, T0], T0, e, None),
            Some(T0 + 30 * 60)
        );
        // Three: one hour.
        assert_eq!(
            next_registration_at(&[T0 - 2 * H, T0 - H, T0], T0, e, None),
            Some(T0 + H)
        );
        // Never earlier than now.
        assert_eq!(
            next_registration_at(&[T0 - 2 * H, T0 - H], T0, e, None),
            Some(T0)
        );
        // Attempts older than the window are not recent: the back-off only doubles for recent
        // ones.
        assert_eq!(
            next_registration_at(&[T0 - 4 * DAY, T0 - 60], T0, e, None),
            Some(T0 - 60 + 15 * 60)
        );
        // No recent attempt at all: base back-off from the latest, which is long past.
        assert_eq!(
            next_registration_at(&[T0 - 10 * DAY, T0 - 9 * DAY], T0, e, None),
            Some(T0)
        );
        // Recent counts attempts strictly after now - WINDOW.
        let at_edge = [T0 - WINDOW_SECONDS, T0];
        assert_eq!(
            next_registration_at(&at_edge, T0, e, None),
            Some(T0 + 15 * 60)
        );
        let inside = [T0 - WINDOW_SECONDS + 1, T0];
        assert_eq!(
            next_registration_at(&inside, T0, e, None),
            Some(T0 + 30 * 60)
        );
    }

    #[test]
    fn rule4_backoff_is_capped_at_one_day() {
        // 7 recent attempts two hours apart: 900 * 2^6 = 16 h.
        let seven: Vec<i64> = (0..7).map(|i| T0 + i * 2 * H).collect();
        let now = T0 + 12 * H;
        assert_eq!(
            next_registration_at(&seven, now, Some(Meaning::Other), None),
            Some(T0 + 12 * H + 16 * H)
        );
        // With 8+ recent attempts the back-off would be 1 day (capped) but the window cap rules.
        let many: Vec<i64> = (0..8).map(|i| T0 + i * 60).collect();
        let now = T0 + 8 * 60;
        let got = next_registration_at(&many, now, Some(Meaning::Other), None).unwrap();
        assert_eq!(got, T0 + WINDOW_SECONDS + 1);
    }

    #[test]
    fn rule4_future_attempts_count_at_their_time() {
        let future = T0 + 2 * H;
        assert_eq!(
            next_registration_at(&[future], T0, Some(Meaning::Other), None),
            Some(future + 15 * 60)
        );
    }

    #[test]
    fn rule5_registration_limit_waits_a_window() {
        let attempts = [T0 - H, T0];
        assert_eq!(
            next_registration_at(&attempts, T0, Some(Meaning::RegistrationLimit), None),
            Some(T0 + WINDOW_SECONDS)
        );
        // Long ago: the back-off (clamped to now) already passed the block.
        let old = [T0 - 4 * DAY];
        assert_eq!(
            next_registration_at(&old, T0, Some(Meaning::RegistrationLimit), None),
            Some(T0)
        );
        // No recorded attempt: nothing to anchor the block on.
        assert_eq!(
            next_registration_at(&[], T0, Some(Meaning::RegistrationLimit), None),
            Some(T0)
        );
    }

    #[test]
    fn rule6_eighth_and_ninth_attempt_boundary() {
        // Seven attempts one hour apart: the 8th is allowed at the plain back-off.
        let mut attempts: Vec<i64> = (0..7).map(|i| T0 + i * H).collect();
        let now = T0 + 6 * H;
        let eighth = next_registration_at(&attempts, now, Some(Meaning::Other), None).unwrap();
        assert_eq!(eighth, T0 + 6 * H + backoff(7));
        assert!(eighth < T0 + WINDOW_SECONDS);
        attempts.push(eighth);
        assert_eq!(max_in_any_window(&attempts), 8);

        // Eight in the window: the 9th must wait until the first one has left it.
        let ninth = next_registration_at(&attempts, eighth, Some(Meaning::Other), None).unwrap();
        assert_eq!(ninth, T0 + WINDOW_SECONDS + 1);
        // At exactly T0 + WINDOW the first attempt is already outside (t - W, t]; the extra
        // second is margin. One second earlier would have made nine in a window.
        let mut too_early = attempts.clone();
        too_early.push(T0 + WINDOW_SECONDS - 1);
        assert_eq!(max_in_any_window(&too_early), 9);
        attempts.push(ninth);
        assert_eq!(max_in_any_window(&attempts), 8);

        // After the 9th, eight attempts are recent again: the capped one-day back-off governs.
        let tenth = next_registration_at(&attempts, ninth, Some(Meaning::Other), None).unwrap();
        assert_eq!(tenth, ninth + MAX_BACKOFF_SECONDS);
        attempts.push(tenth);
        assert_eq!(max_in_any_window(&attempts), 8);
    }

    #[test]
    fn rule6_window_cap_moves_past_several_attempts() {
        // Eight attempts at the same second and more later: the cap walks forward.
        let mut attempts = vec![T0; 8];
        attempts.extend([T0 + DAY, T0 + DAY]);
        let got = next_registration_at(&attempts, T0 + DAY, Some(Meaning::Other), None).unwrap();
        // Window ending at T0 + W + 1 holds just the two later attempts.
        assert_eq!(got, T0 + WINDOW_SECONDS + 1);
        assert!(max_in_windows_containing(&attempts, got) <= MAX_ATTEMPTS_PER_WINDOW);

        // Sixteen attempts over two days: the candidate has to move more than once.
        let attempts: Vec<i64> = (0..16).map(|i| T0 + i * 3 * H).collect();
        let now = T0 + 45 * H;
        let got = next_registration_at(&attempts, now, Some(Meaning::Other), None).unwrap();
        assert!(max_in_windows_containing(&attempts, got) <= MAX_ATTEMPTS_PER_WINDOW);
        // Earliest allowed time: when attempt #9 (index 8, at T0 + 24 h) leaves the window.
        assert_eq!(got, T0 + 24 * H + WINDOW_SECONDS + 1);
    }

    #[test]
    fn rule6_applies_after_registration_limit() {
        // Eight attempts within a few seconds, then 133016: wait a full window after the last
        // one, which also clears the whole burst from the window.
        let attempts: Vec<i64> = (0..8).map(|i| T0 + i).collect();
        let got = next_registration_at(&attempts, T0 + 8, Some(Meaning::RegistrationLimit), None)
            .unwrap();
        assert_eq!(got, T0 + 7 + WINDOW_SECONDS);
        assert!(max_in_windows_containing(&attempts, got) <= MAX_ATTEMPTS_PER_WINDOW);
    }

    #[test]
    fn rule7_unsorted_and_duplicates() {
        let sorted: Vec<i64> = vec![
            T0,
            T0,
            T0 + H,
            T0 + 2 * H,
            T0 + 2 * H,
            T0 + 3 * H,
            T0 + 3 * H,
            T0 + 4 * H,
        ];
        let mut shuffled = sorted.clone();
        shuffled.reverse();
        shuffled.swap(1, 5);
        let now = T0 + 4 * H;
        let a = next_registration_at(&sorted, now, Some(Meaning::Other), None);
        let b = next_registration_at(&shuffled, now, Some(Meaning::Other), None);
        assert_eq!(a, b);
        // Eight attempts in the window (duplicates count): wait for both at T0 to leave.
        assert_eq!(a, Some(T0 + WINDOW_SECONDS + 1));
        assert!(max_in_windows_containing(&sorted, a.unwrap()) <= MAX_ATTEMPTS_PER_WINDOW);
    }

    #[test]
    fn rule7_extremes_do_not_overflow() {
        let e = Some(Meaning::Other);
        assert_eq!(next_registration_at(&[], i64::MAX, e, None), Some(i64::MAX));
        assert_eq!(next_registration_at(&[], i64::MIN, e, None), Some(i64::MIN));
        assert_eq!(
            next_registration_at(&[i64::MAX], i64::MIN, e, None),
            Some(i64::MAX)
        );
        assert_eq!(
            next_registration_at(&[i64::MIN], i64::MIN, e, None),
            Some(i64::MIN + 15 * 60)
        );
        assert_eq!(
            next_registration_at(
                &[i64::MIN, i64::MAX],
                0,
                Some(Meaning::RegistrationLimit),
                None
            ),
            Some(i64::MAX)
        );
        // No representable time satisfies the cap.
        assert_eq!(next_registration_at(&[i64::MAX; 8], 0, e, None), None);
        assert_eq!(
            next_registration_at(&[i64::MAX - 5; 8], i64::MAX, e, None),
            None
        );
        // Enough room just below i64::MAX.
        let near: Vec<i64> = vec![i64::MAX - WINDOW_SECONDS - 10; 8];
        assert_eq!(next_registration_at(&near, 0, e, None), Some(i64::MAX - 9));
        let low: Vec<i64> = vec![i64::MIN; 8];
        assert_eq!(
            next_registration_at(&low, i64::MIN, e, None),
            Some(i64::MIN + WINDOW_SECONDS + 1)
        );
    }

    fn any_error() -> impl Strategy<Value = LastError> {
        prop_oneof![
            Just(None),
            Just(Some(Meaning::DisplayNamePending)),
            Just(Some(Meaning::RegistrationLimit)),
            Just(Some(Meaning::PinMismatch)),
            Just(Some(Meaning::AccountLocked)),
            Just(Some(Meaning::Authorization)),
            Just(Some(Meaning::Other)),
        ]
    }

    /// 0: no health, 1: health with the display name approved, 2: display name pending review.
    /// Never provisioned health.
    fn health_for(choice: u8) -> Option<Map<String, Value>> {
        match choice {
            0 => None,
            1 => Some(pending_approved()),
            _ => Some(pending_name_in_review()),
        }
    }

    /// The random choices of one simulated step: error, health, delay after `Some`, pause after
    /// `None`.
    type Step = (LastError, u8, i64, i64);

    fn step() -> impl Strategy<Value = Step> {
        (any_error(), 0u8..3, 0i64..3600, H..(6 * H))
    }

    /// More steps than 30 days can take: at most 720 pauses of at least an hour, and at most
    /// 8 attempts per 72 hours (about 90).
    const SIM_STEPS: usize = 1024;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A caller that follows the schedule for 30 days never puts more than 8 attempts in
        /// any 72-hour window.
        #[test]
        fn thirty_days_never_exceed_the_window_cap(
            start in 0i64..2_000_000_000,
            steps in proptest::collection::vec(step(), SIM_STEPS),
        ) {
            let end = start + 30 * DAY;
            let mut now = start;
            let mut attempts: Vec<i64> = Vec::new();
            let mut steps = steps.into_iter();
            while now < end {
                let Some((error, health_choice, delay, pause)) = steps.next() else {
                    return Err(TestCaseError::fail("ran out of steps before 30 days passed"));
                };
                let health = health_for(health_choice);
                match next_registration_at(&attempts, now, error, health.as_ref()) {
                    Some(t) => {
                        prop_assert!(t >= now);
                        now = t + delay;
                        if now < end {
                            attempts.push(now);
                        }
                    }
                    None => now += pause,
                }
            }
            prop_assert!(max_in_any_window(&attempts) <= MAX_ATTEMPTS_PER_WINDOW,
                "attempts: {:?}", attempts);
        }

        /// For arbitrary (unsorted, duplicated, clock-skewed) attempts the answer is never
        /// before now, is independent of the order of attempts, and adding an attempt at it
        /// never makes a window containing it hold more than 8.
        #[test]
        fn answer_respects_now_order_and_cap(
            mut attempts in proptest::collection::vec(-10 * DAY..10 * DAY, 0..40),
            now in -5 * DAY..5 * DAY,
            error in any_error(),
            health_choice in 0u8..3,
        ) {
            let health = health_for(health_choice);
            let got = next_registration_at(&attempts, now, error, health.as_ref());
            attempts.reverse();
            prop_assert_eq!(got, next_registration_at(&attempts, now, error, health.as_ref()));
            if let Some(t) = got {
                prop_assert!(t >= now);
                prop_assert!(max_in_windows_containing(&attempts, t) <= MAX_ATTEMPTS_PER_WINDOW);
                // Any later time, before another attempt is recorded, is fine as well.
                let later = t + 17 * H;
                prop_assert!(max_in_windows_containing(&attempts, later) <= MAX_ATTEMPTS_PER_WINDOW);
            }
        }

        /// Extreme inputs never panic, and a `Some` answer is never before now.
        #[test]
        fn extreme_inputs_do_not_panic(
            attempts in proptest::collection::vec(any::<i64>(), 0..20),
            now in any::<i64>(),
            error in any_error(),
        ) {
            if let Some(t) = next_registration_at(&attempts, now, error, None) {
                prop_assert!(t >= now);
            }
        }
    }

    mod arbitrary_json {
        use super::*;
        use crate::test_support;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Arbitrary health objects and arbitrary error codes never panic, never give a time
            /// before now, and never allow a 9th attempt in a window.
            #[test]
            fn any_health_and_error_code(
                attempts in proptest::collection::vec(-10 * DAY..10 * DAY, 0..20),
                now in -5 * DAY..5 * DAY,
                health in proptest::option::of(test_support::object()),
                error in proptest::option::of((
                    proptest::option::of(any::<i64>()),
                    proptest::option::of(any::<i64>()),
                )),
            ) {
                let error = error.map(|(code, subcode)| Meaning::of(code, subcode, &[]));
                if let Some(t) = next_registration_at(&attempts, now, error, health.as_ref()) {
                    prop_assert!(t >= now);
                    prop_assert!(max_in_windows_containing(&attempts, t) <= MAX_ATTEMPTS_PER_WINDOW);
                }
            }
        }
    }
}
