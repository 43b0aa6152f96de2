//! A limit on uploads in flight: a first-come first-served semaphore for one thread (`Rc`,
//! `Cell`, wakers; no executor). An upload holds a [`Permit`] from before its first request
//! until it settles; the others wait in order. Waiting can be cancelled (the caller's
//! `AbortSignal`), which takes the waiter out of the queue without using a slot.
//!
//! A released slot is handed straight to the oldest waiter, so a newcomer can never overtake
//! the queue.

use crate::credentials::flight::{Flight, Wait};
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
    /// A slot was handed over to this waiter.
    granted: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// At most `max` uploads in flight; the rest wait in order.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    active: Cell<usize>,
    peak: Cell<usize>,
    queue: RefCell<Vec<Rc<Waiter>>>,
}

impl Limiter {
    /// A limiter of `max` slots (at least 1).
    pub fn new(max: usize) -> Rc<Self> {
        Rc::new(Self {
            max: max.max(1),
            active: Cell::new(0),
            peak: Cell::new(0),
            queue: RefCell::default(),
        })
    }

    /// The limit.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Uploads holding a slot now.
    pub fn in_flight(&self) -> usize {
        self.active.get()
    }

    /// Uploads waiting for a slot now.
    pub fn queued(&self) -> usize {
        self.queue.borrow().len()
    }

    /// The most uploads that held a slot at once.
    pub fn peak(&self) -> usize {
        self.peak.get()
    }

    /// Waits for a slot; resolves to `Err(Aborted)` if `cancel` completes first (the waiter
    /// leaves the queue without taking a slot). An already completed `cancel` never queues.
    pub fn acquire(self: &Rc<Self>, cancel: Option<Rc<Flight<()>>>) -> Acquire {
        Acquire {
            limiter: Rc::clone(self),
            waiter: None,
            cancel: cancel.map(|c| (c.wait(), c)),
        }
    }

    fn take_slot(&self) {
        let n = self.active.get() + 1;
        self.active.set(n);
        self.peak.set(self.peak.get().max(n));
    }

    /// Hands the slot to the oldest waiter, or frees it.
    fn release(&self) {
        let next = {
            let mut q = self.queue.borrow_mut();
            (!q.is_empty()).then(|| q.remove(0))
        };
        match next {
            Some(w) => {
                w.granted.set(true);
                if let Some(waker) = w.waker.borrow_mut().take() {
                    waker.wake();
                }
            }
            None => self.active.set(self.active.get().saturating_sub(1)),
        }
    }

    fn leave(&self, waiter: &Rc<Waiter>) {
        self.queue.borrow_mut().retain(|w| !Rc::ptr_eq(w, waiter));
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

/// The future of [`Limiter::acquire`].
#[derive(Debug)]
pub struct Acquire {
    limiter: Rc<Limiter>,
    waiter: Option<Rc<Waiter>>,
    cancel: Option<(Wait<()>, Rc<Flight<()>>)>,
}

impl Future for Acquire {
    type Output = Result<Permit>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Permit>> {
        let this = self.get_mut();
        let permit = || Permit {
            limiter: Rc::clone(&this.limiter),
        };
        match &this.waiter {
            Some(w) if w.granted.get() => {
                this.waiter = None;
                return Poll::Ready(Ok(permit()));
            }
            Some(_) => {}
            None => {
                if this.cancel.as_ref().is_some_and(|(_, c)| c.is_done()) {
                    return Poll::Ready(Err(Error::Aborted));
                }
                let l = &this.limiter;
                if l.active.get() < l.max && l.queue.borrow().is_empty() {
                    l.take_slot();
                    return Poll::Ready(Ok(permit()));
                }
                let w = Rc::new(Waiter::default());
                l.queue.borrow_mut().push(Rc::clone(&w));
                this.waiter = Some(w);
            }
        }
        if let Some((wait, _)) = &mut this.cancel {
            if Pin::new(wait).poll(cx).is_ready() {
                if let Some(w) = this.waiter.take() {
                    this.limiter.leave(&w);
                }
                return Poll::Ready(Err(Error::Aborted));
            }
        }
        if let Some(w) = &this.waiter {
            *w.waker.borrow_mut() = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Acquire {
    /// A waiter dropped before it got its slot leaves the queue; one dropped after the slot was
    /// handed over passes it on.
    fn drop(&mut self) {
        if let Some(w) = self.waiter.take() {
            if w.granted.get() {
                self.limiter.release();
            } else {
                self.limiter.leave(&w);
            }
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
                    let _permit = limiter.acquire(None).await?;
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
        assert_eq!(limiter.peak(), 3);
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
        let cancel = Flight::<()>::new();
        let ran = Rc::new(Cell::new(0));
        let job = |ms: i64, cancel: Option<Rc<Flight<()>>>| {
            let (clock, limiter, ran) = (Rc::clone(&clock), Rc::clone(&limiter), Rc::clone(&ran));
            Box::pin(async move {
                let _p = limiter.acquire(cancel).await?;
                ran.set(ran.get() + 1);
                clock.sleep(ms).await;
                Ok(clock.now())
            }) as Pin<Box<dyn Future<Output = Result<i64>>>>
        };
        let c2 = Rc::clone(&cancel);
        let clock2 = Rc::clone(&clock);
        let canceller = Box::pin(async move {
            clock2.sleep(30).await;
            c2.complete(());
            Ok(0_i64)
        }) as Pin<Box<dyn Future<Output = Result<i64>>>>;
        let out = run_all(
            &clock,
            vec![
                job(100, None),
                job(100, Some(Rc::clone(&cancel))),
                job(100, None),
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
        let cancel = Flight::<()>::new();
        cancel.complete(());
        let r = crate::upload::testing::run_one(&clock, limiter.acquire(Some(cancel)));
        assert!(matches!(r, Err(Error::Aborted)));
        assert_eq!((limiter.in_flight(), limiter.queued()), (0, 0));
    }

    #[test]
    fn dropped_waiter_passes_a_handed_over_slot_on() {
        let limiter = Limiter::new(1);
        let first = {
            let mut a = limiter.acquire(None);
            let waker = Waker::from(Arc::new(Noop));
            let mut cx = Context::from_waker(&waker);
            match Pin::new(&mut a).poll(&mut cx) {
                Poll::Ready(Ok(p)) => p,
                _ => panic!("a free slot is taken at once"),
            }
        };
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut second = limiter.acquire(None);
        let mut third = limiter.acquire(None);
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
