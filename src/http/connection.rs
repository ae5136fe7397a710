//! The TCP connection behind a request, so that a response can be cut off when its client
//! stops reading (`http::export`'s write timeout).
//!
//! actix-web has no write timeout: while a client reads nothing, the kernel's buffers fill, the
//! server stops pulling the body, and the connection stays open for as long as the client
//! likes. Nothing in the body can end it either, since the body is no longer polled. So
//! [`on_connect`] (given to `HttpServer::on_connect`) keeps a second handle on each accepted
//! socket (a `dup` of its descriptor) in the connection's data, and [`Connection::cut`] shuts
//! the socket down: actix's next write fails, and it drops the connection and the response.
//! The cost is one more file descriptor per open connection.

use std::any::Any;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::dev::Extensions;

/// A handle on a request's TCP connection.
#[derive(Debug, Clone)]
pub struct Connection(Arc<TcpStream>);

impl Connection {
    /// The connection of `req`, when the server keeps handles (`on_connect`).
    pub fn of(req: &HttpRequest) -> Option<Self> {
        req.conn_data::<Self>().cloned()
    }

    /// Shuts the connection down in both directions.
    pub fn cut(&self) {
        // Already closed by the client is as good.
        let _ = self.0.shutdown(Shutdown::Both);
    }
}

/// For `HttpServer::on_connect`: keeps a [`Connection`] for each TCP connection accepted.
pub fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    use std::os::fd::AsFd;
    let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    match tcp.as_fd().try_clone_to_owned() {
        Ok(fd) => {
            data.insert(Connection(Arc::new(TcpStream::from(fd))));
        }
        // Out of descriptors: this connection just cannot be cut off early.
        Err(e) => tracing::warn!(error = %e, "cannot keep a handle on a connection"),
    }
}
