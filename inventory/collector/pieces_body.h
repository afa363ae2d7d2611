// A Beast response body that is a string, or a document made of pieces that stay where they are (a snapshot's
// device lines), gathered into the socket a chunk at a time: a 46 MB inventory is streamed, never built whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

namespace pifind {

struct PiecesBody {
  class value_type {
   public:
    value_type() = default;
    void clear() {
      text_.clear();
      pieces_.clear();
      owner_.reset();
    }
    value_type& operator=(std::string text) {
      text_ = std::move(text);
      pieces_.clear();
      owner_.reset();
      return *this;
    }
    /// The body is `pieces` in order; they point into memory that `owner` keeps alive.
    void assign(std::vector<std::string_view> pieces, std::shared_ptr<const void> owner) {
      text_.clear();
      pieces_ = std::move(pieces);
      owner_ = std::move(owner);
    }
    std::uint64_t size() const {
      std::uint64_t bytes = text_.size();
      for (const auto piece : pieces_) bytes += piece.size();
      return bytes;
    }
    /// The whole body as one string (for tests and small bodies).
    std::string text() const {
      std::string all = text_;
      for (const auto piece : pieces_) all += piece;
      return all;
    }

   private:
    friend struct PiecesBody;
    std::string text_;
    std::vector<std::string_view> pieces_;
    std::shared_ptr<const void> owner_;
  };

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    /// The string, then the pieces gathered kChunkBytes at a time into one buffer: Beast walks a buffer
    /// sequence again on every partial write, so one buffer of many short lines costs far less than many.
    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (!text_sent_) {
        text_sent_ = true;
        if (!body_.text_.empty())
          return {{boost::asio::const_buffer(body_.text_.data(), body_.text_.size()), next_ < body_.pieces_.size()}};
      }
      chunk_.clear();
      while (next_ < body_.pieces_.size() && chunk_.size() < kChunkBytes) {
        const std::string_view piece = body_.pieces_[next_];
        if (piece.size() >= kChunkBytes && chunk_.empty()) {
          ++next_;
          return {{boost::asio::const_buffer(piece.data(), piece.size()), next_ < body_.pieces_.size()}};
        }
        chunk_.append(piece);
        ++next_;
      }
      if (chunk_.empty()) return boost::none;
      return {{boost::asio::const_buffer(chunk_.data(), chunk_.size()), next_ < body_.pieces_.size()}};
    }

   private:
    static constexpr std::size_t kChunkBytes = 256 * 1024;
    const value_type& body_;
    bool text_sent_ = false;
    std::size_t next_ = 0;
    std::string chunk_;
  };
};

}  // namespace pifind
