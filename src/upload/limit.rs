//! A limit on uploads in flight: a first-come first-served semaphore for one thread (`Rc`,
//! `Cell`, wakers; no executor). An upload holds a [`Permit`] from before its first request
//! until it settles; the others wait in order. Waiting can be cancelled (the caller's
//! `AbortSignal`, through a [`Canceller`]), which takes the waiter out of the queue without
//! using a slot.
//!
//! A released slot is handed straight to the oldest waiter, so a newcomer can never overtake
//! the queue.

use crate::error::{Error, Result};
use core::cell::{Cell, RefCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::rc::Rc;

/// Uploads in flight by default: browsers open 6 HTTP/1.1 connections per host.
pub const DEFAULT_MAX_CONCURRENT_UPLOADS: usize = 6;

/// Upper bound of the option (a higher limit is no limit in a browser).
pub const MAX_CONCURRENT_UPLOADS: i64 = 1024;

#[derive(Debug, Default)]
struct Waiter {
    /// In the queue.
    queued: Cell<bool>,
    /// A slot was handed over to this waiter.
    granted: Cell<bool>,
    /// Its caller gave up waiting.
    cancelled: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Waiter {
    fn wake(&self) {
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

/// At most `max` uploads in flight; the rest wait in order.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    active: Cell<usize>,
    queue: RefCell<Vec<Rc<Waiter>>>,
}

impl Limiter {
    /// A limiter of `max` slots (at least 1).
    pub fn new(max: usize) -> Rc<Self> {
        Rc::new(Self {
            max: max.max(1),
            active: Cell::new(0),
            queue: RefCell::default(),
        })
    }

    /// Uploads holding a slot now.
    pub fn in_flight(&self) -> usize {
        self.active.get()
    }

    /// Uploads waiting for a slot now.
    pub fn queued(&self) -> usize {
        self.queue.borrow().len()
    }

    /// Waits for a slot. [`Acquire::canceller`] gives the handle that ends the wait with
    /// `Err(Aborted)`; cancelled before the first poll, it never queues.
    pub fn acquire(self: &Rc<Self>) -> Acquire {
        Acquire {
            limiter: Rc::clone(self),
            waiter: Rc::default(),
            done: false,
        }
    }

    /// Hands the slot to the oldest waiter, or frees it.
    fn release(&self) {
        let next = {
            let mut q = self.queue.borrow_mut();
            (!q.is_empty()).then(|| q.remove(0))
        };
        match next {
            Some(w) => {
                w.queued.set(false);
                w.granted.set(true);
                w.wake();
            }
            None => self.active.set(self.active.get().saturating_sub(1)),
        }
    }

    fn leave(&self, waiter: &Rc<Waiter>) {
        self.queue.borrow_mut().retain(|w| !Rc::ptr_eq(w, waiter));
        waiter.queued.set(false);
    }
}

/// A slot in flight, released (to the next waiter) when dropped.
#[derive(Debug)]
pub struct Permit {
    limiter: Rc<Limiter>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

/// Ends one [`Acquire`]'s wait (e.g. from an abort listener).
#[derive(Debug, Clone)]
pub struct Canceller(Rc<Waiter>);

impl Canceller {
    /// The wait ends with `Err(Aborted)` unless the slot was already handed over.
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        self.0.wake();
    }
}

/// The future of [`Limiter::acquire`].
#[derive(Debug)]
pub struct Acquire {
    limiter: Rc<Limiter>,
    waiter: Rc<Waiter>,
    /// Resolved (a permit or an error was returned).
    done: bool,
}

impl Acquire {
    /// The handle that cancels this wait.
    pub fn canceller(&self) -> Canceller {
        Canceller(Rc::clone(&self.waiter))
    }
}

impl Future for Acquire {
    type Output = Result<Permit>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Permit>> {
        let this = self.get_mut();
        let (l, w) = (&this.limiter, &this.waiter);
        let out = if w.granted.get() {
            Ok(Permit {
                limiter: Rc::clone(l),
            })
        } else if w.cancelled.get() {
            l.leave(w);
            Err(Error::Aborted)
        } else if !w.queued.get() && l.active.get() < l.max && l.queue.borrow().is_empty() {
            l.active.set(l.active.get() + 1);
            Ok(Permit {
                limiter: Rc::clone(l),
            })
        } else {
            if !w.queued.replace(true) {
                l.queue.borrow_mut().push(Rc::clone(w));
            }
            *w.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        };
        this.done = true;
        Poll::Ready(out)
    }
}

impl Drop for Acquire {
    /// A waiter dropped before it got its slot leaves the queue; one dropped after the slot was
    /// handed over passes it on.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if self.waiter.granted.get() {
            self.limiter.release();
        } else {
            self.limiter.leave(&self.waiter);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    use crate::upload::testing::{run_all, ManualClock};

    /// `n` uploads of `ms` each through `limiter`, recording the most seen in flight.
    fn uploads(
        clock: &Rc<ManualClock>,
        limiter: &Rc<Limiter>,
        n: usize,
        ms: i64,
        seen: &Rc<Cell<usize>>,
        order: &Rc<RefCell<Vec<usize>>>,
    ) -> Vec<Pin<Box<dyn Future<Output = Result<()>>>>> {
        (0..n)
            .map(|i| {
                let (clock, limiter, seen, order) = (
                    Rc::clone(clock),
                    Rc::clone(limiter),
                    Rc::clone(seen),
                    Rc::clone(order),
                );
                Box::pin(async move {
                    let _permit = limiter.acquire().await?;
                    order.borrow_mut().push(i);
                    seen.set(seen.get().max(limiter.in_flight()));
                    clock.sleep(ms).await;
                    Ok(())
                }) as Pin<Box<dyn Future<Output = Result<()>>>>
            })
            .collect()
    }

    #[test]
    fn at_most_max_in_flight_and_first_come_first_served() {
        let clock = ManualClock::at(0);
        let limiter = Limiter::new(3);
        let seen = Rc::new(Cell::new(0));
        let order = Rc::new(RefCell::new(Vec::new()));
        let out = run_all(&clock, uploads(&clock, &limiter, 10, 100, &seen, &order));
        assert!(out.iter().all(Result::is_ok));
        assert_eq!(seen.get(), 3);
        assert_eq!(*order.borrow(), (0..10).collect::<Vec<_>>());
        // 10 uploads of 100 ms, 3 at a time: 4 rounds.
        assert_eq!(clock.now(), 400);
        assert_eq!((limiter.in_flight(), limiter.queued()), (0, 0));
    }

    #[test]
    fn limit_of_one_runs_uploads_one_after_another() {
        let clock = ManualClock::at(0);
        let limiter = Limiter::new(0); // clamped to 1
        let seen = Rc::new(Cell::new(0));
        let order = Rc::new(RefCell::new(Vec::new()));
        run_all(&clock, uploads(&clock, &limiter, 5, 50, &seen, &order));
        assert_eq!(seen.get(), 1);
        assert_eq!(clock.now(), 250);
    }

    #[test]
    fn cancelled_waiter_leaves_the_queue_without_a_slot() {
        let clock = ManualClock::at(0);
        let limiter = Limiter::new(1);
        let ran = Rc::new(Cell::new(0));
        let job = |ms: i64, slot: Acquire| {
            let (clock, ran) = (Rc::clone(&clock), Rc::clone(&ran));
            Box::pin(async move {
                let _p = slot.await?;
                ran.set(ran.get() + 1);
                clock.sleep(ms).await;
                Ok(clock.now())
            }) as Pin<Box<dyn Future<Output = Result<i64>>>>
        };
        let waiting = limiter.acquire();
        let handle = waiting.canceller();
        let clock2 = Rc::clone(&clock);
        let canceller = Box::pin(async move {
            clock2.sleep(30).await;
            handle.cancel();
            Ok(0_i64)
        }) as Pin<Box<dyn Future<Output = Result<i64>>>>;
        let out = run_all(
            &clock,
            vec![
                job(100, limiter.acquire()),
                job(100, waiting),
                job(100, limiter.acquire()),
                canceller,
            ],
        );
        assert!(matches!(out[0], Ok(100)));
        assert!(matches!(out[1], Err(Error::Aborted)));
        // The third upload did not wait for the cancelled one.
        assert!(matches!(out[2], Ok(200)));
        assert_eq!(ran.get(), 2);
        assert_eq!((limiter.in_flight(), limiter.queued()), (0, 0));
    }

    #[test]
    fn already_cancelled_never_queues() {
        let clock = ManualClock::at(0);
        let limiter = Limiter::new(4);
        let slot = limiter.acquire();
        slot.canceller().cancel();
        let r = crate::upload::testing::run_one(&clock, slot);
        assert!(matches!(r, Err(Error::Aborted)));
        assert_eq!((limiter.in_flight(), limiter.queued()), (0, 0));
    }

    #[test]
    fn cancel_after_the_slot_was_handed_over_keeps_the_slot() {
        let limiter = Limiter::new(1);
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut first = limiter.acquire();
        let Poll::Ready(Ok(p1)) = Pin::new(&mut first).poll(&mut cx) else {
            panic!("a free slot is taken at once")
        };
        let mut second = limiter.acquire();
        assert!(Pin::new(&mut second).poll(&mut cx).is_pending());
        drop(p1);
        second.canceller().cancel();
        // The slot was already its own: it gets it (the upload then sees its aborted signal).
        let Poll::Ready(Ok(p2)) = Pin::new(&mut second).poll(&mut cx) else {
            panic!("the handed-over slot is returned")
        };
        assert_eq!(limiter.in_flight(), 1);
        drop(p2);
        assert_eq!(limiter.in_flight(), 0);
    }

    #[test]
    fn dropped_waiter_passes_a_handed_over_slot_on() {
        let limiter = Limiter::new(1);
        let first = {
            let mut a = limiter.acquire();
            let waker = Waker::from(Arc::new(Noop));
            let mut cx = Context::from_waker(&waker);
            match Pin::new(&mut a).poll(&mut cx) {
                Poll::Ready(Ok(p)) => p,
                _ => panic!("a free slot is taken at once"),
            }
        };
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut second = limiter.acquire();
        let mut third = limiter.acquire();
        assert!(Pin::new(&mut second).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut third).poll(&mut cx).is_pending());
        assert_eq!(limiter.queued(), 2);
        drop(first); // handed to `second`…
        drop(second); // …which is dropped before it ran: `third` gets it.
        assert!(matches!(
            Pin::new(&mut third).poll(&mut cx),
            Poll::Ready(Ok(_))
        ));
        assert_eq!(limiter.queued(), 0);
    }
}
