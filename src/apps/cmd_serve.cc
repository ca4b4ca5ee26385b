// `gemma3 serve`: the OpenAI-compatible HTTP server. It binds and answers /health (503) at once,
// loads the checkpoint on a second thread, then makes the API available; SIGINT / SIGTERM stop it.
//
// The load-and-wire glue (checkpoint -> KV geometry -> ForwardRunner -> Engine -> backend) lives in
// load_stack() below; the KV pools are sized by plan_kv_geometry (engine/forward_runner.h).
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "apps/chat_support.h"
#include "apps/cli_support.h"
#include "apps/command.h"
#include "engine/engine.h"
#include "engine/forward_runner.h"
#include "server/engine_backend.h"
#include "toolcall/tool_format.h"
#include "server/http_server.h"
#include "server/http_transport.h"
#include "server/response_builder.h"
#include "util/args.h"

namespace gemma3 {
namespace {

// Everything the API needs, alive until the server stopped. Destroyed in reverse order: the
// backend and engine (which joins its thread) before the model they read.
struct ServingStack {
  LoadedCheckpoint checkpoint;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ServingBackend> backend;
};

Result<long long> int_option(const Args& args, const char* name, long long lo, long long hi) {
  auto v = args.get_int(name);
  if (!v.ok()) return v;
  if (*v < lo || *v > hi) {
    return make_error(std::string("--") + name + " must be between " + std::to_string(lo) + " and " +
                      std::to_string(hi) + ", got " + std::to_string(*v));
  }
  return v;
}

Result<std::unique_ptr<ServingStack>> load_stack(const Args& args) {
  auto stack = std::make_unique<ServingStack>();
  auto checkpoint = load_checkpoint(args);
  if (!checkpoint.ok()) return std::move(checkpoint).take_error();
  stack->checkpoint = std::move(checkpoint.value());
  const Model& model = *stack->checkpoint.model;

  KvBudget budget;
  auto kv_mb = int_option(args, "kv-cache-mb", 0, 1 << 20);
  auto kv_tokens = int_option(args, "kv-cache-tokens", 0, 1ll << 31);
  auto batch_tokens = int_option(args, "max-batch-tokens", 16, 1 << 20);
  auto waiting = int_option(args, "max-waiting", 1, 1 << 20);
  auto running = int_option(args, "max-running", 1, 4096);
  for (const auto* r : {&kv_mb, &kv_tokens, &batch_tokens, &waiting, &running}) {
    if (!r->ok()) return make_error(r->error());
  }
  if (*kv_mb > 0 && *kv_tokens > 0) return make_error("give --kv-cache-mb or --kv-cache-tokens, not both");
  budget.bytes = *kv_mb * (1ll << 20);
  budget.tokens = *kv_tokens > 0 || budget.bytes > 0 ? *kv_tokens : model.config.max_position_embeddings;
  budget.max_running = static_cast<int32_t>(*running);
  budget.max_batch_tokens = static_cast<int32_t>(*batch_tokens);
  budget.kv_dtype = model.kv_dtype;
  const KvGeometry geometry = plan_kv_geometry(model.config, budget);

  EngineOptions options;
  options.eos_ids = stack->checkpoint.generation.eos_token_ids;
  options.max_batch_tokens = budget.max_batch_tokens;
  options.max_running = budget.max_running;
  options.max_waiting = static_cast<int32_t>(*waiting);
  options.log_requests = false;   // the HTTP layer logs one line per request
  const auto spec = parse_spec_mode(args.get("spec"));
  if (!spec) return make_error("--spec expects ngram or off");
  options.spec = *spec;
  stack->engine = std::make_unique<Engine>(std::make_unique<ForwardRunner>(model, geometry),
                                           *stack->checkpoint.tokenizer, options);
  stack->engine->start();

  ModelInfo info;
  info.id = args.get("model-name");
  if (info.id.empty()) info.id = std::filesystem::path(stack->checkpoint.dir).lexically_normal().filename().string();
  if (info.id.empty()) info.id = "gemma3";
  // A sequence can never outgrow the full-attention pool, so that bounds the context too.
  const int64_t pool_tokens = static_cast<int64_t>(geometry.n_full_blocks) * geometry.block_size;
  info.context_length = static_cast<int32_t>(
      std::min<int64_t>(model.config.max_position_embeddings, pool_tokens > 0 ? pool_tokens : INT32_MAX));
  info.vocab_size = model.config.vocab_size;
  info.created = unix_now();
  // A checkpoint without a chat template still serves /v1/completions; chat requests get a 400.
  auto chat_template = load_chat_template_for(args, stack->checkpoint.dir, *stack->checkpoint.tokenizer);
  if (!chat_template && args.has("chat-template")) return make_error(chat_template.error());
  if (!chat_template) std::fprintf(stderr, "serve: warning: %s\n", chat_template.error().c_str());
  EngineBackendOptions backend_options;
  backend_options.eos_ids = options.eos_ids;
  if (chat_template) {
    backend_options.chat_template = *chat_template;
    // How this checkpoint writes function calls: from its template's markers, or --tool-format.
    auto format = toolcall::choose_tool_format((*chat_template)->source(), *stack->checkpoint.tokenizer,
                                               args.get("tool-format"));
    if (!format) return make_error("--tool-format: " + format.error());
    backend_options.tool_format = *format;
    std::fprintf(stderr, "serve: chat template from %s; tool calls in the %s format\n",
                 (*chat_template)->origin().c_str(), (*format)->name().c_str());
  } else {
    backend_options.chat_template_error = chat_template.error();
  }
  stack->backend = make_engine_backend(*stack->engine, *stack->checkpoint.tokenizer, info, std::move(backend_options));
  std::fprintf(stderr, "serve: model '%s' ready: context %d tokens, KV pools %d full + %d sliding blocks of %d\n",
               info.id.c_str(), info.context_length, geometry.n_full_blocks, geometry.n_sliding_blocks,
               geometry.block_size);
  return stack;
}

int run(int argc, char** argv) {
  Args args("serve", "OpenAI-compatible HTTP server (/v1/chat/completions, /v1/completions, ...)");
  add_model_options(args);
  add_chat_template_option(args);
  args.option("tool-format", "", "how the model writes tool calls: functiongemma or json (default: chosen from the chat template)");
  args.option("host", "", "address to bind (default loopback only)", "127.0.0.1")
      .option("port", "", "TCP port (0: any free port, printed on stderr)", "8080")
      .option("api-key", "", "require 'Authorization: Bearer KEY' on /v1/*", "")
      .option("max-body-bytes", "", "largest request body accepted (413 beyond)", std::to_string(8 << 20))
      .option("kv-cache-mb", "", "KV cache memory budget in MiB (0: use --kv-cache-tokens)", "0")
      .option("kv-cache-tokens", "", "KV cache size in token positions (0: the model's context)", "0")
      .option("max-batch-tokens", "", "tokens per engine step (decode first, then prefill chunks)", "512")
      .option("max-waiting", "", "queued requests before 429", "256")
      .option("max-running", "", "sequences decoded together", "64")
      .option("spec", "", "speculative decoding: ngram (prompt-lookup drafts; same output) or off", "ngram")
      .option("io-threads", "", "threads doing all socket I/O (0: min(4, cores))", "0")
      .option("http-workers", "", "threads parsing requests, rendering templates, tokenizing (0: min(4, cores))", "0")
      .option("max-connections", "", "open connections at most (beyond: 503 and close)", "10000")
      .option("header-timeout", "", "seconds a client has to send a request's headers", "10")
      .option("body-timeout", "", "seconds a client has to send a request's body", "30")
      .option("keep-alive-timeout", "", "seconds an idle connection stays open between requests", "5")
      .option("write-timeout", "", "seconds a client may stop reading before it is dropped", "30")
      .option("shutdown-timeout", "", "on SIGTERM/SIGINT, seconds requests in flight get to finish", "30")
      .option("model-name", "", "the model id clients send (default: the checkpoint folder's name)", "")
      .option("replica-name", "", "sent as the X-Gemma3-Replica response header (for load balancers)", "")
      .option("responses-max", "", "stored /v1/responses kept at most (least recently used out; 0: none)", "1000")
      .option("responses-max-mb", "", "memory the stored /v1/responses may take, in MiB", "256")
      .option("responses-ttl", "", "seconds a stored /v1/response is kept", "3600")
      .flag("quiet", "no per-request log lines");
  if (Status s = args.parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "gemma3 serve: %s\n\n%s", s.error().c_str(), args.usage().c_str());
    return 2;
  }
  if (args.help_requested()) {
    std::printf("%s", args.usage().c_str());
    return 0;
  }

  ServerOptions options;
  options.host = args.get("host");
  options.api_key = args.get("api-key");
  options.log_requests = !args.is_set("quiet");
  options.replica_name = args.get("replica-name");
  // It becomes a header value: letters, digits and . _ : - only (no header injection).
  if (options.replica_name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") !=
      std::string::npos) {
    std::fprintf(stderr, "gemma3 serve: --replica-name may hold only letters, digits and . _ : - (got '%s')\n",
                 options.replica_name.c_str());
    return 2;
  }
  auto port = int_option(args, "port", 0, 65535);
  auto body = int_option(args, "max-body-bytes", 1024, 1ll << 32);
  auto io_threads = int_option(args, "io-threads", 0, 256);
  auto workers = int_option(args, "http-workers", 0, 256);
  auto max_connections = int_option(args, "max-connections", 1, 1 << 20);
  auto header_timeout = int_option(args, "header-timeout", 1, 3600);
  auto body_timeout = int_option(args, "body-timeout", 1, 3600);
  auto keep_alive_timeout = int_option(args, "keep-alive-timeout", 1, 3600);
  auto write_timeout = int_option(args, "write-timeout", 1, 3600);
  auto shutdown_timeout = int_option(args, "shutdown-timeout", 0, 3600);
  auto responses_max = int_option(args, "responses-max", 0, 1 << 24);
  auto responses_mb = int_option(args, "responses-max-mb", 1, 1 << 20);
  auto responses_ttl = int_option(args, "responses-ttl", 1, 30 * 24 * 3600);
  for (const auto* r : {&port, &body, &io_threads, &workers, &max_connections, &header_timeout, &body_timeout,
                        &keep_alive_timeout, &write_timeout, &shutdown_timeout, &responses_max, &responses_mb,
                        &responses_ttl}) {
    if (!r->ok()) {
      std::fprintf(stderr, "gemma3 serve: %s\n", r->error().c_str());
      return 2;
    }
  }
  options.port = static_cast<int>(*port);
  options.max_body_bytes = static_cast<size_t>(*body);
  options.io_threads = static_cast<int>(*io_threads);
  options.worker_threads = static_cast<int>(*workers);
  options.max_connections = static_cast<size_t>(*max_connections);
  options.header_timeout = std::chrono::seconds(*header_timeout);
  options.body_timeout = std::chrono::seconds(*body_timeout);
  options.keep_alive_timeout = std::chrono::seconds(*keep_alive_timeout);
  options.write_timeout = std::chrono::seconds(*write_timeout);
  options.responses.max_count = static_cast<size_t>(*responses_max);
  options.responses.max_bytes = static_cast<size_t>(*responses_mb) << 20;
  options.responses.ttl = std::chrono::seconds(*responses_ttl);
  // Every connection holds a file descriptor: allow as many as the system lets this process have.
  const size_t fd_limit = raise_open_file_limit();
  if (fd_limit > 0 && fd_limit < options.max_connections + 64) {
    std::fprintf(stderr, "serve: warning: the open-file limit is %zu, below --max-connections %zu\n", fd_limit,
                 options.max_connections);
  }

  // Two malloc arenas, set before any thread starts: with one per thread (glibc's default, up to
  // 8 per core) the I/O, worker and engine threads each kept their own freed memory, and resident
  // memory grew 12.6% over a 10-minute soak after its warm-up; with two, 4.4% and flat for the
  // last 5 minutes (docs/RELIABILITY.md).
  mallopt(M_ARENA_MAX, 2);

  // Signals go to sigwait() below only: block them before any thread starts, so every thread
  // inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ignore_sigpipe();

  HttpServer server(options);
  if (Status s = server.start(); !s.ok()) {
    std::fprintf(stderr, "gemma3 serve: %s\n", s.error().c_str());
    return 1;
  }
  std::fprintf(stderr, "serve: listening on http://%s:%d (loading the model; /health is 503 until ready)\n",
               options.host.c_str(), server.port());

  std::unique_ptr<ServingStack> stack;
  std::atomic<bool> load_failed{false};
  std::thread loader([&] {
    auto loaded = load_stack(args);
    if (!loaded.ok()) {
      std::fprintf(stderr, "gemma3 serve: %s\n", loaded.error().c_str());
      load_failed = true;
      kill(getpid(), SIGTERM);
      return;
    }
    stack = std::move(loaded.value());
    server.set_backend(stack->backend.get());
  });

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (!load_failed) std::fprintf(stderr, "serve: signal %d, shutting down\n", signal_number);
  // Graceful: stop accepting, let requests in flight finish, end the rest at the deadline. No
  // handler touches the backend after this.
  const bool drained = server.shutdown(std::chrono::seconds(*shutdown_timeout));
  if (!load_failed && !drained) std::fprintf(stderr, "serve: shutdown deadline passed; ended the requests left\n");
  loader.join();
  stack.reset();
  return load_failed ? 1 : 0;
}

const bool registered = register_command({"serve", "OpenAI-compatible HTTP server", &run});

}  // namespace
}  // namespace gemma3
