//! Request rate limits (token buckets, `governor`): per client address and
//! per canvas for user traffic (off unless the operator sets them), and per
//! client address for failed editor-API sign-ins (on: a token cannot be
//! guessed at network speed).

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock, QuantaInstant};
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// The sizes of the limits; `Default` is what `gloam serve` uses unless told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests per second from one client address to user traffic (bursts
    /// of as many); `None`: no limit.
    pub per_client: Option<NonZeroU32>,
    /// Requests per second to one canvas; `None`: no limit.
    pub per_canvas: Option<NonZeroU32>,
    /// Failed editor-API sign-ins per minute from one client address; past
    /// it, every editor-API request from that address gets 429 until the
    /// bucket refills — even with the right token, so guessing learns nothing.
    pub auth_failures_per_minute: NonZeroU32,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        const TWENTY: NonZeroU32 = NonZeroU32::new(20).expect("20 is not zero");
        RateLimits { per_client: None, per_canvas: None, auth_failures_per_minute: TWENTY }
    }
}

fn retry_after(not_until: &NotUntil<QuantaInstant>) -> Duration {
    not_until.wait_time_from(DefaultClock::default().now())
}

/// The limiters of a server.
pub struct RateLimiters {
    limits: RateLimits,
    per_client: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_canvas: Option<DefaultKeyedRateLimiter<String>>,
    auth_failures: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses that failed too often, and until when they are refused.
    blocked: DashMap<IpAddr, Instant>,
}

/// A refused request: what to tell the client, and when to come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub message: String,
    pub retry_after: Duration,
}

impl RateLimiters {
    pub fn new(limits: RateLimits) -> RateLimiters {
        let per_second = |rate: NonZeroU32| Quota::per_second(rate);
        RateLimiters {
            limits,
            per_client: limits.per_client.map(per_second).map(RateLimiter::keyed),
            per_canvas: limits.per_canvas.map(per_second).map(RateLimiter::keyed),
            auth_failures: RateLimiter::keyed(Quota::per_minute(limits.auth_failures_per_minute)),
            blocked: DashMap::new(),
        }
    }

    /// Checks (and counts) a request of user traffic.
    pub fn traffic(&self, client: IpAddr, canvas: &str) -> Result<(), Limited> {
        if let (Some(limiter), Some(rate)) = (&self.per_client, self.limits.per_client)
            && let Err(not_until) = limiter.check_key(&client)
        {
            let retry_after = retry_after(&not_until);
            return Err(Limited {
                message: format!("more than {rate} requests per second from {client}"),
                retry_after,
            });
        }
        if let (Some(limiter), Some(rate)) = (&self.per_canvas, self.limits.per_canvas)
            && let Err(not_until) = limiter.check_key(&canvas.to_string())
        {
            let retry_after = retry_after(&not_until);
            return Err(Limited {
                message: format!("more than {rate} requests per second to canvas `{canvas}`"),
                retry_after,
            });
        }
        Ok(())
    }

    /// Whether an address may try to sign in now.
    pub fn may_sign_in(&self, client: IpAddr) -> Result<(), Limited> {
        let Some(until) = self.blocked.get(&client).map(|until| *until) else { return Ok(()) };
        let now = Instant::now();
        if until <= now {
            self.blocked.remove(&client);
            return Ok(());
        }
        Err(self.too_many_failures(until - now))
    }

    /// Counts a failed sign-in; refuses the address for a while once it failed too often.
    pub fn failed_sign_in(&self, client: IpAddr) -> Result<(), Limited> {
        let Err(not_until) = self.auth_failures.check_key(&client) else { return Ok(()) };
        let retry_after = retry_after(&not_until);
        self.blocked.insert(client, Instant::now() + retry_after);
        Err(self.too_many_failures(retry_after))
    }

    fn too_many_failures(&self, retry_after: Duration) -> Limited {
        Limited {
            message: format!(
                "more than {} failed sign-ins per minute from this address; wait {} s",
                self.limits.auth_failures_per_minute,
                retry_after.as_secs().max(1)
            ),
            retry_after,
        }
    }

    /// Forgets idle clients, so a scan of many addresses leaves no state behind.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_client {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_canvas {
            limiter.retain_recent();
        }
        self.auth_failures.retain_recent();
        self.auth_failures.shrink_to_fit();
        let now = Instant::now();
        self.blocked.retain(|_, until| *until > now);
        self.blocked.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    #[test]
    fn a_client_over_its_rate_is_limited_and_others_are_not() {
        let limits = RateLimits { per_client: NonZeroU32::new(5), ..RateLimits::default() };
        let limiters = RateLimiters::new(limits);
        for _ in 0..5 {
            limiters.traffic(client(1), "c").expect("within the burst");
        }
        let limited = limiters.traffic(client(1), "c").unwrap_err();
        assert!(limited.message.contains("more than 5 requests per second"), "{}", limited.message);
        assert!(limiters.traffic(client(2), "c").is_ok());
    }

    #[test]
    fn failed_sign_ins_block_the_address_until_the_bucket_refills() {
        let limits = RateLimits { auth_failures_per_minute: NonZeroU32::new(3).unwrap(), ..RateLimits::default() };
        let limiters = RateLimiters::new(limits);
        for _ in 0..3 {
            limiters.failed_sign_in(client(1)).expect("within the allowance");
            assert!(limiters.may_sign_in(client(1)).is_ok());
        }
        assert!(limiters.failed_sign_in(client(1)).is_err());
        let refused = limiters.may_sign_in(client(1)).unwrap_err();
        assert!(refused.retry_after > Duration::from_secs(1), "{refused:?}");
        assert!(limiters.may_sign_in(client(2)).is_ok());
    }
}
