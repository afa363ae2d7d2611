#include "inventory/collector/collector_routes.h"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "inventory/collector/metrics.h"
#include "inventory/store/inventory_json.h"

namespace pifind {
namespace {

namespace http = boost::beast::http;

// Pages (metrics, audit, dashboard) queued at once before more are refused with 503: each walks the whole fleet and
// may take a while at 100,000 devices, and a client asking faster than they render must not grow the queue
// without bound.
constexpr std::size_t kMaxRendering = 8;
// Nice value of the rendering thread (the process runs at 0).
constexpr int kRendererNice = 10;
// A metrics page or dashboard serves every request for this long: polled as often as anyone likes, a
// 100,000-device page costs one render a second.
constexpr auto kPageReuse = std::chrono::seconds(1);

HttpResponse ok_response(unsigned version, const char* content_type) {
  HttpResponse response{http::status::ok, version};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  return response;
}

std::string header_value(const HttpRequest& request, std::string_view name) {
  const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  return it == request.end() ? std::string() : std::string(it->value());
}

// A report (sender header X-Pifind-Agent) or a scan (X-Pifind-Scanner) handed to the collector.
void handle_signed(Collector& collector, const HttpRequest& request, const std::function<void(HttpResponse)>& reply,
                   bool scan) {
  const SignedHeaders headers{header_value(request, scan ? kScannerHeader : kAgentHeader),
                              header_value(request, kCounterHeader), header_value(request, kSignatureHeader),
                              header_value(request, kDeviceKeyHeader), header_value(request, kDeviceSignatureHeader)};
  const unsigned version = request.version();
  auto answer = [reply, version](ReportOutcome outcome) {
    if (outcome.http_status == 204) {
      HttpResponse response{http::status::no_content, version};
      return reply(std::move(response));
    }
    auto response = text_response(version, static_cast<http::status>(outcome.http_status), outcome.reason);
    if (outcome.last_counter)
      response.set(boost::beast::string_view(kLastCounterHeader.data(), kLastCounterHeader.size()),
                   std::to_string(*outcome.last_counter));
    reply(std::move(response));
  };
  if (scan)
    collector.submit_scan(headers, request.body(), std::move(answer));
  else
    collector.submit(headers, request.body(), std::move(answer));
}

// The inventory document streamed from the snapshot's device lines, which the body keeps alive.
HttpResponse inventory_response(unsigned version, std::shared_ptr<const InventorySnapshot> snapshot, TimePoint now) {
  struct Owner {
    std::shared_ptr<const InventorySnapshot> snapshot;
    DocumentPieces document;
  };
  auto owner = std::make_shared<Owner>(Owner{snapshot, DocumentPieces(now, 0, snapshot->lines())});
  HttpResponse response = ok_response(version, "application/json");
  response.body().assign(owner->document.all(), owner);
  return response;
}

}  // namespace

HttpLimits collector_http_limits() {
  HttpLimits limits;
  limits.max_body_bytes = kMaxReportBytes;
  limits.path_body_limits = {{std::string(kScansPath), kMaxScanBytes}};
  return limits;
}

CollectorRoutes::CollectorRoutes(Collector& collector, RouteOptions options)
    : collector_(collector), options_(options) {
  // The renderer runs at a lower CPU priority than the I/O and writer threads: at 100,000 devices a dashboard
  // takes a good part of a second of CPU, which must come out of idle time, not out of the reports'.
  boost::asio::post(renderer_, [] { ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kRendererNice); });
}

CollectorRoutes::~CollectorRoutes() { renderer_.join(); }

HttpHandler CollectorRoutes::handler(bool reports, bool reads) {
  return [this, reports, reads](const HttpRequest& request, std::function<void(HttpResponse)> reply) {
    handle(request, std::move(reply), reports, reads);
  };
}

void CollectorRoutes::handle(const HttpRequest& request, std::function<void(HttpResponse)> reply, bool reports,
                             bool reads) {
  try {
    const std::string_view target(request.target().data(), request.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
    auto wrong_method = [&](const char* allowed) {
      auto response = text_response(request.version(), http::status::method_not_allowed,
                                    std::string("use ") + allowed + " for " + std::string(path));
      response.set(http::field::allow, allowed);
      reply(std::move(response));
    };
    const bool read_path = path == "/" || path == "/v1/inventory" || path == "/v1/audit" || path == "/metrics";
    const bool signed_path = path == kReportsPath || path == kScansPath;
    if ((signed_path && !reports) || (read_path && !reads) || (!signed_path && !read_path && path != "/healthz"))
      return reply(text_response(request.version(), http::status::not_found, "no such resource"));
    if (signed_path) {
      if (request.method() != http::verb::post) return wrong_method("POST");
      return handle_signed(collector_, request, reply, path == kScansPath);
    }
    if (!get) return wrong_method("GET");
    const unsigned version = request.version();
    if (path == "/healthz") {
      HttpResponse response = ok_response(version, "text/plain; charset=utf-8");
      response.body() = std::string("ok\n");
      return reply(std::move(response));
    }
    if (options_.access && !options_.access->allows(path, header_value(request, "Authorization"))) {
      auto response = text_response(version, http::status::unauthorized, "credentials required");
      response.set(http::field::www_authenticate, options_.access->challenge());
      return reply(std::move(response));
    }
    if (path == "/v1/inventory")  // pointer copies only: the body streams the snapshot's lines as they are
      return reply(inventory_response(version, collector_.snapshot(), std::chrono::system_clock::now()));
    if (rendering_ >= kMaxRendering)
      return reply(text_response(version, http::status::service_unavailable, "too many pages being rendered; retry"));
    ++rendering_;
    boost::asio::post(renderer_, [this, path = std::string(path), version, reply = std::move(reply)] {
      try {
        const char* type = path == "/metrics"     ? "text/plain; version=0.0.4; charset=utf-8"
                           : path == "/v1/audit" ? "application/json"
                                                 : "text/html; charset=utf-8";
        HttpResponse response = ok_response(version, type);
        DashboardPieces body = page(path);
        response.body().assign(std::move(body.pieces), std::move(body.owner));
        reply(std::move(response));
      } catch (const std::exception& e) {
        reply(text_response(version, http::status::internal_server_error, e.what()));
      }
      --rendering_;
    });
  } catch (const std::exception& e) {
    reply(text_response(request.version(), http::status::internal_server_error, e.what()));
  }
}

DashboardPieces CollectorRoutes::page(std::string_view path) {
  // The snapshot and counters are taken here, not when the request came: a queued request gets the freshest.
  const auto started = std::chrono::steady_clock::now();
  auto render = [&](RenderedPage& page, auto make) {
    if (!page.body || started - page.at >= kPageReuse) page = {started, std::make_shared<const std::string>(make())};
    return page.body;
  };
  auto whole = [](std::shared_ptr<const std::string> body) { return DashboardPieces{{*body}, body}; };
  if (path == "/metrics")
    return whole(render(metrics_, [&] {
      return render_metrics(collector_.snapshot()->records, collector_.stats(), std::chrono::system_clock::now(),
                            options_.metrics_per_host);
    }));
  render(audit_, [&] {
    const auto snapshot = collector_.snapshot();
    return audit_json_text(
        audit_fleet(snapshot->records, *snapshot->pending_keys, options_.thresholds, std::chrono::system_clock::now()));
  });
  if (path == "/v1/audit") return whole(audit_.body);
  if (dashboard_of_ != audit_.body) {  // whichever page rendered the audit last
    dashboard_ = dashboard_page_pieces(audit_.body);
    dashboard_of_ = audit_.body;
  }
  return dashboard_;
}

}  // namespace pifind
