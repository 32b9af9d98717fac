//! The receive low-water mark of a socket (`SO_RCVLOWAT`). While a paced reader waits for the
//! next frame (see [`super::pace`]), the kernel is asked not to report the socket readable
//! until far more than a frame of data is queued, so the messages arriving meanwhile do not
//! each wake the thread for nothing; before reading, the mark goes back to one byte and a
//! peek says whether anything came.

use std::os::fd::{AsRawFd, BorrowedFd};

/// Bytes queued before a waiting socket counts as readable (the kernel caps it at half its
/// receive buffer): more than any frame of market data.
pub const WAITING: i32 = 1 << 20;

/// Sets `fd`'s receive low-water mark to `bytes`; `false` if the kernel refused.
#[allow(unsafe_code)]
pub fn set(fd: BorrowedFd<'_>, bytes: i32) -> bool {
    let value: libc::c_int = bytes;
    let len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap_or(4);
    // SAFETY: `fd` is an open socket for the borrow's lifetime; the option value is a c_int
    // that outlives the call, passed with its size, and the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&raw const value).cast(),
            len,
        )
    };
    rc == 0
}

/// Whether `fd` has data (or its end) waiting, without taking it or waiting for it.
#[allow(unsafe_code)]
pub fn pending(fd: BorrowedFd<'_>) -> bool {
    let mut byte = 0u8;
    // SAFETY: `fd` is an open socket for the borrow's lifetime; the buffer is one byte that
    // outlives the call, and MSG_PEEK | MSG_DONTWAIT neither consumes data nor blocks.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            (&raw mut byte).cast(),
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    // 1: data; 0: the peer closed (reading will say so); -1: nothing yet (or an error that
    // reading will report).
    n >= 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::AsFd;
    use std::time::Duration;

    fn readable(s: &std::net::TcpStream) -> bool {
        let mut fds = [poll_in(s)];
        nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u16)).unwrap() > 0
    }

    fn poll_in(s: &std::net::TcpStream) -> nix::poll::PollFd<'_> {
        nix::poll::PollFd::new(s.as_fd(), nix::poll::PollFlags::POLLIN)
    }

    #[test]
    fn a_raised_mark_hides_small_data_until_it_is_lowered_and_reads_still_get_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut tx = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut rx, _) = listener.accept().unwrap();
        assert!(set(rx.as_fd(), WAITING));
        assert!(!pending(rx.as_fd()), "nothing sent yet");
        tx.write_all(b"a frame of data").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!readable(&rx), "not readable under the mark");
        assert!(pending(rx.as_fd()), "but a peek sees it");
        assert!(set(rx.as_fd(), 1));
        assert!(readable(&rx), "readable once the mark is lowered");
        let mut buf = [0u8; 64];
        let n = rx.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"a frame of data");
        assert!(!pending(rx.as_fd()), "taken");
        drop(tx);
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            pending(rx.as_fd()),
            "the peer's close counts: reading reports it"
        );
    }
}
