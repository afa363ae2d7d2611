// The one way the HTTP client and the tests include Boost.Beast (HTTP over TCP and TLS, after Asio as it must
// be), with the short names they all use for it: `using namespace pifind::web;` inside an unnamed namespace.
#pragma once

#include "inventory/core/asio.h"  // before Beast, which includes Asio

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace pifind::web {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

}  // namespace pifind::web
