// SPDX-License-Identifier: MIT
//
// The labelling page's HTTP server (http.hpp).
#include "rcls/label/http.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "rcls/core/error.hpp"
#include "rcls/core/strings.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace rcls::label {

namespace {

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Payload Too Large";
        case 422:
            return "Unprocessable Entity";
        case 500:
            return "Internal Server Error";
        default:
            return "Status";
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Sends all of `data`; false when the peer went away.
bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
}

/// Waits up to `timeout_ms` for `fd` to be readable.
bool wait_readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
}

}  // namespace

std::string url_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

bool parse_request_head(std::string_view head, HttpRequest& request) {
    const std::size_t line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return false;
    request.method = std::string(line.substr(0, sp1));
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!line.substr(sp2 + 1).starts_with("HTTP/1.")) return false;
    if (target.empty() || target.front() != '/') return false;
    const std::size_t q = target.find('?');
    request.path = url_decode(target.substr(0, q));
    if (q != std::string_view::npos) {
        for (const std::string& pair : split(target.substr(q + 1), '&')) {
            if (pair.empty()) continue;
            const std::size_t eq = pair.find('=');
            request.query[url_decode(std::string_view(pair).substr(0, eq))] =
                eq == std::string::npos ? "" : url_decode(std::string_view(pair).substr(eq + 1));
        }
    }
    if (line_end == std::string_view::npos) return true;
    std::string_view rest = head.substr(line_end + 2);
    while (!rest.empty()) {
        std::size_t end = rest.find("\r\n");
        if (end == std::string_view::npos) end = rest.size();
        const std::string_view header = rest.substr(0, end);
        rest.remove_prefix(std::min(rest.size(), end + 2));
        if (header.empty()) break;
        const std::size_t colon = header.find(':');
        if (colon == std::string_view::npos) return false;
        request.headers[ascii_lower(trim(header.substr(0, colon)))] =
            std::string(trim(header.substr(colon + 1)));
    }
    return true;
}

std::string format_response(const HttpResponse& response) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      reason(response.status) + "\r\nContent-Type: " + response.content_type +
                      "\r\nContent-Length: " + std::to_string(response.body.size()) +
                      "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
    out += response.body;
    return out;
}

HttpServer::HttpServer(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw DataError("labelling page: cannot create a socket", errno);
    const int yes = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 64) != 0) {
        const int error = errno;
        ::close(fd_);
        fd_ = -1;
        throw ConfigError("--port " + std::to_string(port) +
                          ": cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                          errno_text(error) + " (choose another port, or 0 for any free one)");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
}

HttpServer::~HttpServer() {
    if (fd_ >= 0) ::close(fd_);
}

void HttpServer::serve(const std::function<HttpResponse(const HttpRequest&)>& handler,
                       const std::function<bool()>& stop) {
    while (!stop()) {
        if (!wait_readable(fd_, 200)) continue;
        const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        handle_connection(client, handler);
        ::close(client);
    }
}

void HttpServer::handle_connection(int fd,
                                   const std::function<HttpResponse(const HttpRequest&)>& handler) {
    std::string data;
    char buffer[8192];
    std::size_t head_end = std::string::npos;
    auto reply = [fd](int status, const std::string& body) {
        send_all(fd, format_response({status, "text/plain; charset=utf-8", body}));
    };
    while (head_end == std::string::npos) {
        if (!wait_readable(fd, 5000)) return reply(408, "request timeout\n");
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) return;
        data.append(buffer, static_cast<std::size_t>(got));
        head_end = data.find("\r\n\r\n");
        if (head_end == std::string::npos && data.size() > kMaxHeaderBytes) {
            return reply(413, "request head too large\n");
        }
    }
    if (head_end > kMaxHeaderBytes) return reply(413, "request head too large\n");
    HttpRequest request;
    if (!parse_request_head(std::string_view(data).substr(0, head_end + 2), request)) {
        return reply(400, "malformed request\n");
    }
    std::size_t body_length = 0;
    if (const auto it = request.headers.find("content-length"); it != request.headers.end()) {
        try {
            const unsigned long long value = std::stoull(it->second);
            if (value > kMaxBodyBytes) return reply(413, "request body too large\n");
            body_length = static_cast<std::size_t>(value);
        } catch (const std::exception&) {
            return reply(400, "bad Content-Length\n");
        }
    }
    request.body = data.substr(head_end + 4);
    while (request.body.size() < body_length) {
        if (!wait_readable(fd, 5000)) return reply(408, "request timeout\n");
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0) return;
        request.body.append(buffer, static_cast<std::size_t>(got));
    }
    request.body.resize(body_length);
    HttpResponse response;
    try {
        response = handler(request);
    } catch (const Error& e) {
        response = {422, "text/plain; charset=utf-8", std::string(e.what()) + "\n"};
    } catch (const std::exception& e) {
        spdlog::error("labelling page: {} {}: {}", request.method, request.path, e.what());
        response = {500, "text/plain; charset=utf-8", std::string(e.what()) + "\n"};
    }
    spdlog::debug("labelling page: {} {} -> {}", request.method, request.path, response.status);
    send_all(fd, format_response(response));
}

}  // namespace rcls::label
