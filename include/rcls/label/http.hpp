// SPDX-License-Identifier: MIT
//
// A small HTTP/1.1 server on POSIX sockets for the labelling page: loopback only, one request per
// connection (Connection: close), one connection at a time, bounded request sizes. It serves
// rcls's own page and data; nothing is fetched from elsewhere.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace rcls::label {

/// A parsed request.
struct HttpRequest {
    std::string method;                          ///< "GET", "POST", ...
    std::string path;                            ///< Without the query, percent-decoded.
    std::map<std::string, std::string> query;    ///< Decoded query parameters.
    std::map<std::string, std::string> headers;  ///< Lower-case names.
    std::string body;
};

/// A response.
struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

/// Limits on what a client may send.
inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

/// Parses the head of a request (request line and headers, up to the blank line); returns false
/// when it is malformed.
bool parse_request_head(std::string_view head, HttpRequest& request);
/// Decodes %XX and '+' in a URL component.
std::string url_decode(std::string_view text);
/// The whole response as bytes (status line, Content-Type, Content-Length, Connection: close).
std::string format_response(const HttpResponse& response);

/// A listening socket on 127.0.0.1.
class HttpServer {
public:
    /// Binds 127.0.0.1:`port` (0: any free port). Throws ConfigError naming the port when it is
    /// taken or cannot be bound.
    explicit HttpServer(int port);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// The port bound.
    int port() const { return port_; }

    /// Answers requests with `handler` until `stop()` returns true (checked at least every
    /// 200 ms) . A handler's exception becomes a 500 with its message; a malformed or oversized
    /// request a 400/413.
    void serve(const std::function<HttpResponse(const HttpRequest&)>& handler,
               const std::function<bool()>& stop);

private:
    void handle_connection(int fd, const std::function<HttpResponse(const HttpRequest&)>& handler);
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace rcls::label
