// The one way pifind includes Boost.Asio: every Asio user includes this header, never Asio itself.
// g++ 12 in C++20 mode fails on Boost 1.74's Asio ('exchange' is not a member of 'std') without <utility> first.
#pragma once

#include <utility>

#include <boost/asio.hpp>
