//! Meta's limit on register and deregister calls: 10 per phone number in any moving 72 hours, the
//! 11th refused with 133016 (graph-api.md, "Registration rules").

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::ApiError;

/// Register + deregister calls allowed per phone number in [`REGISTER_WINDOW`].
const REGISTER_LIMIT: usize = 10;
/// Moving window of the register/deregister limit (72 hours).
const REGISTER_WINDOW: Duration = Duration::from_secs(72 * 3600);

/// A number's register/deregister calls: how many in all, and when, within the window.
#[derive(Default)]
pub(crate) struct RegisterWindow {
    attempts: u64,
    window: VecDeque<Instant>,
}

impl RegisterWindow {
    /// Every register or deregister call that reached the node, refused ones included.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Counts one call at `now`; error 133016 when it is over the limit (the refused call counts
    /// in the window too).
    pub(crate) fn count(&mut self, now: Instant) -> Result<(), ApiError> {
        self.attempts += 1;
        while let Some(&oldest) = self.window.front() {
            if now.saturating_duration_since(oldest) >= REGISTER_WINDOW {
                self.window.pop_front();
            } else {
                break;
            }
        }
        self.window.push_back(now);
        if self.window.len() > REGISTER_LIMIT {
            return Err(ApiError::new(
                400,
                133016,
                "OAuthException",
                "Account register deregister rate limit exceeded",
            ));
        }
        Ok(())
    }
}
