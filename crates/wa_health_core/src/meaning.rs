//! What an error answer from Meta means for the gem: the one table every rule that reads Meta's
//! error codes uses (the Ruby error class, `transient?`, the registration retry schedule, and the
//! next step an operator is told).
//!
//! Codes and their meanings come from Meta's error-code page and the real answers collected in
//! spec/fixtures/meta/ (see SOURCES.md there): decide on `code` and `error_subcode`, and on Meta's
//! words only where one subcode has two meanings (2388001).

/// What an error means. The binding turns it into a Ruby error class ([`Meaning::ruby_class`]) and
/// a Symbol ([`Meaning::as_str`]) on the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// 190 (token expired or invalid), 104 ("An access token is required"), and the permission
    /// codes 0, 3, 10, 200-299: the channel needs reauthorization.
    Authorization,
    /// App, user and business-use-case rate limits: 4, 17, 32, 613, 80007, 80008 (the WhatsApp
    /// Business Management API's limit, which phone-number reads count against), and 130429.
    RateLimit,
    /// 133016: over 10 register/deregister requests in 72 hours; registration is blocked for 72 hours.
    RegistrationLimit,
    /// 100 / 2388001 "Cannot Create Certificate" while the display name is not provisioned yet.
    DisplayNamePending,
    /// 100 / 2388001 "This number is registered to an existing WhatsApp account": the number is
    /// still on a phone's WhatsApp (or WhatsApp Business app) account.
    NumberInUse,
    /// 133005: the two-step verification PIN does not match.
    PinMismatch,
    /// 133006: the number must be verified (one-time code) before it can be registered.
    VerificationNeeded,
    /// 133010: the number is not registered on Cloud API.
    NotRegistered,
    /// 131031: the account is locked (policy), or data did not match.
    AccountLocked,
    /// 368: temporarily blocked for policy violations.
    PolicyBlocked,
    /// 1, 2, 133004: Meta's service had a temporary problem.
    Temporary,
    /// Anything else (no code, an unknown code, a wrong id: 100 / 33, ...).
    Other,
}

const AUTHORIZATION_CODES: &[i64] = &[0, 3, 10, 104, 190];
const RATE_LIMIT_CODES: &[i64] = &[4, 17, 32, 613, 80007, 80008, 130429];
const TEMPORARY_CODES: &[i64] = &[1, 2, 133_004];
const NAME_OR_NUMBER_SUBCODE: i64 = 2_388_001;

/// How Meta words the "number still on a phone" meaning of 2388001 (both the title and the message
/// of that answer are shown to people, so they may be localized: an unknown wording falls back to
/// the documented meaning, the display name).
const NUMBER_IN_USE_WORDS: &[&str] = &["existing whatsapp account"];

/// When a new automatic register attempt may follow an error of this meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationRetry {
    /// The usual back-off.
    BackOff,
    /// Only once the display name is approved.
    AfterNameApproval,
    /// Not before 72 hours after the attempt.
    AfterWindow,
    /// Never automatically: a person must act first (see [`Meaning::next_step`]).
    Never,
}

impl Meaning {
    pub fn of(code: Option<i64>, subcode: Option<i64>, user_text: &[Option<&str>]) -> Meaning {
        let Some(code) = code else {
            return Meaning::Other;
        };
        match code {
            c if AUTHORIZATION_CODES.contains(&c) || (200..=299).contains(&c) => {
                Meaning::Authorization
            }
            c if RATE_LIMIT_CODES.contains(&c) => Meaning::RateLimit,
            c if TEMPORARY_CODES.contains(&c) => Meaning::Temporary,
            133_016 => Meaning::RegistrationLimit,
            133_005 => Meaning::PinMismatch,
            133_006 => Meaning::VerificationNeeded,
            133_010 => Meaning::NotRegistered,
            131_031 => Meaning::AccountLocked,
            368 => Meaning::PolicyBlocked,
            100 if subcode == Some(NAME_OR_NUMBER_SUBCODE) => {
                let says_number_in_use = user_text.iter().flatten().any(|text| {
                    let text = text.to_lowercase();
                    NUMBER_IN_USE_WORDS.iter().any(|words| text.contains(words))
                });
                if says_number_in_use {
                    Meaning::NumberInUse
                } else {
                    Meaning::DisplayNamePending
                }
            }
            _ => Meaning::Other,
        }
    }

    /// The Ruby class (under `WaHealth::`) an error of this meaning is raised as.
    pub fn ruby_class(self) -> &'static str {
        match self {
            Meaning::Authorization => "AuthorizationError",
            Meaning::RateLimit | Meaning::RegistrationLimit => "RateLimitError",
            Meaning::DisplayNamePending => "DisplayNamePendingError",
            Meaning::NumberInUse => "NumberInUseError",
            _ => "ApiError",
        }
    }

    /// A stable snake_case name (a Ruby Symbol on the error).
    pub fn as_str(self) -> &'static str {
        match self {
            Meaning::Authorization => "authorization",
            Meaning::RateLimit => "rate_limit",
            Meaning::RegistrationLimit => "registration_limit",
            Meaning::DisplayNamePending => "display_name_pending",
            Meaning::NumberInUse => "number_in_use",
            Meaning::PinMismatch => "pin_mismatch",
            Meaning::VerificationNeeded => "verification_needed",
            Meaning::NotRegistered => "not_registered",
            Meaning::AccountLocked => "account_locked",
            Meaning::PolicyBlocked => "policy_blocked",
            Meaning::Temporary => "temporary",
            Meaning::Other => "other",
        }
    }

    /// Whether the same request may succeed later, when Meta's answer has no `is_transient`
    /// (Meta's own verdict wins when present).
    pub fn transient(self) -> bool {
        matches!(self, Meaning::RateLimit | Meaning::Temporary)
    }

    pub fn registration_retry(self) -> RegistrationRetry {
        match self {
            Meaning::DisplayNamePending => RegistrationRetry::AfterNameApproval,
            Meaning::RegistrationLimit => RegistrationRetry::AfterWindow,
            Meaning::Authorization
            | Meaning::NumberInUse
            | Meaning::PinMismatch
            | Meaning::VerificationNeeded
            | Meaning::AccountLocked
            | Meaning::PolicyBlocked => RegistrationRetry::Never,
            Meaning::RateLimit | Meaning::NotRegistered | Meaning::Temporary | Meaning::Other => {
                RegistrationRetry::BackOff
            }
        }
    }

    /// What an operator should do, in words; `None` where retrying later is all there is to it.
    pub fn next_step(self) -> Option<&'static str> {
        Some(match self {
            Meaning::Authorization => {
                "Reauthorize the channel: the access token is missing, expired or lacks a permission."
            }
            Meaning::RateLimit => "Wait: Meta is rate limiting these requests; retry later.",
            Meaning::RegistrationLimit => {
                "Wait 72 hours: Meta blocks registration after 10 register or deregister requests in 72 hours."
            }
            Meaning::DisplayNamePending => {
                "Wait until Meta approves the display name, then register again."
            }
            Meaning::NumberInUse => {
                "The number is still on a WhatsApp account on a phone: its owner must delete that account (or disconnect it), then register again."
            }
            Meaning::PinMismatch => {
                "Register with the number's current two-step verification PIN, or reset the PIN in WhatsApp Manager."
            }
            Meaning::VerificationNeeded => {
                "Verify the phone number (request and enter a one-time code in WhatsApp Manager), then register again."
            }
            Meaning::NotRegistered => "Register the number on Cloud API.",
            Meaning::AccountLocked => {
                "Check the account in WhatsApp Manager: it is locked, or a value (such as the PIN) did not match."
            }
            Meaning::PolicyBlocked => {
                "Check WhatsApp Manager: the account is temporarily blocked for policy violations."
            }
            Meaning::Temporary | Meaning::Other => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_the_graph_api_table_have_their_meaning() {
        let cases: &[(i64, Option<i64>, Meaning)] = &[
            (190, Some(463), Meaning::Authorization),
            (104, None, Meaning::Authorization),
            (0, None, Meaning::Authorization),
            (3, None, Meaning::Authorization),
            (10, None, Meaning::Authorization),
            (200, None, Meaning::Authorization),
            (299, None, Meaning::Authorization),
            (4, Some(2_446_079), Meaning::RateLimit),
            (17, None, Meaning::RateLimit),
            (32, None, Meaning::RateLimit),
            (613, None, Meaning::RateLimit),
            (80007, None, Meaning::RateLimit),
            (80008, None, Meaning::RateLimit),
            (130429, None, Meaning::RateLimit),
            (133016, None, Meaning::RegistrationLimit),
            (133005, None, Meaning::PinMismatch),
            (133006, None, Meaning::VerificationNeeded),
            (133010, None, Meaning::NotRegistered),
            (131031, None, Meaning::AccountLocked),
            (368, Some(1_404_078), Meaning::PolicyBlocked),
            (1, None, Meaning::Temporary),
            (2, None, Meaning::Temporary),
            (133004, None, Meaning::Temporary),
            (100, Some(33), Meaning::Other),
            (300, None, Meaning::Other),
        ];
        for &(code, subcode, meaning) in cases {
            assert_eq!(Meaning::of(Some(code), subcode, &[]), meaning, "{code}");
        }
        assert_eq!(Meaning::of(None, None, &[]), Meaning::Other);
    }

    #[test]
    fn the_two_meanings_of_2388001_are_told_apart_by_metas_words() {
        // spec/fixtures/meta/error_100_2388001_registered_to_existing_account_partial.json
        let in_use = Meaning::of(
            Some(100),
            Some(2_388_001),
            &[
                Some("Cannot Create Certificate"),
                Some("This number is registered to an existing WhatsApp account. To use this number, disconnect it from the existing account."),
            ],
        );
        assert_eq!(in_use, Meaning::NumberInUse);
        // graph-api.md: the display-name answer.
        let name = Meaning::of(
            Some(100),
            Some(2_388_001),
            &[
                Some("Cannot Create Certificate"),
                Some("Your display name could not be processed. Please edit your display name and try again."),
            ],
        );
        assert_eq!(name, Meaning::DisplayNamePending);
        assert_eq!(
            Meaning::of(Some(100), Some(2_388_001), &[None, None]),
            Meaning::DisplayNamePending
        );
        assert_ne!(in_use.next_step(), name.next_step());
    }

    #[test]
    fn only_rate_limits_and_temporary_errors_are_transient_by_default() {
        for meaning in [Meaning::RateLimit, Meaning::Temporary] {
            assert!(meaning.transient());
        }
        for meaning in [
            Meaning::Authorization,
            Meaning::RegistrationLimit,
            Meaning::VerificationNeeded,
            Meaning::NumberInUse,
            Meaning::Other,
        ] {
            assert!(!meaning.transient(), "{meaning:?}");
        }
    }

    #[test]
    fn errors_that_need_a_person_stop_registration_retries_and_say_what_to_do() {
        for meaning in [
            Meaning::Authorization,
            Meaning::NumberInUse,
            Meaning::PinMismatch,
            Meaning::VerificationNeeded,
            Meaning::AccountLocked,
            Meaning::PolicyBlocked,
        ] {
            assert_eq!(meaning.registration_retry(), RegistrationRetry::Never);
            assert!(meaning.next_step().is_some(), "{meaning:?}");
        }
        assert!(Meaning::VerificationNeeded
            .next_step()
            .unwrap()
            .contains("Verify the phone number"));
    }
}
