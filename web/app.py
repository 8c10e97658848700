"""Flask app: a question page, article pages with the answer highlighted, and a JSON API.

Bad input always gets a 4xx with a JSON ``{"error": ...}`` on ``/api/*`` (and a readable page
elsewhere); article text is only ever rendered through Jinja's autoescaping.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from qa.config import Settings, package_version
from qa.reading.cascade import CascadeReader
from qa.reading.read_batcher import Overloaded
from qa.reading.reader import QuestionTooLong
from qa.retrieval.filters import BadFilter, Filters
from qa.retrieval.index import Index
from qa.service import api
from qa.service.api import MAX_BATCH_QUESTIONS, BadQuestion
from qa.service.pipeline import Pipeline
from web.server import bind

log = logging.getLogger("web.app")

MAX_TOP_K = 20
MAX_BODY_BYTES = 64 * 1024
# Other candidates are listed only when they score at least this share of the best.
CANDIDATE_CUT = 0.2
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def validate_top_k(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRequest(f"'top_k' must be an integer from 1 to {MAX_TOP_K}")
    if isinstance(value, str):
        # ASCII digits only: int() would also take "1_0" and Arabic-Indic digits.
        if not value.strip().isascii() or not value.strip().isdigit():
            raise BadRequest(f"'top_k' must be an integer from 1 to {MAX_TOP_K}")
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= MAX_TOP_K:
        raise BadRequest(f"'top_k' must be an integer from 1 to {MAX_TOP_K}")
    return value


pages = Blueprint("pages", __name__)


def create_app(pipeline: Pipeline, index: Index) -> Flask:
    """The app over ``pipeline``; ``index`` is what it shows beside answers (articles, counts).

    Both live in ``app.extensions["qa"]``; the routes are the ``pages`` blueprint.
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]  # DefaultJSONProvider's setting
    app.jinja_env.filters["safe_url"] = lambda url: (
        url if isinstance(url, str) and url.startswith(("http://", "https://")) else None
    )
    # The index does not change while the process runs: what every page shows is computed once.
    facets = api.archive_facets(index.articles.values())
    page_context = {
        "article_count": len(index.articles),
        "sources": [(row["source"], row["articles"]) for row in facets["sources"]],
    }
    app.extensions["qa"] = _Service(pipeline, index, page_context, facets)
    app.register_blueprint(pages)
    for error, handler in _ERROR_HANDLERS:
        app.register_error_handler(error, handler)
    app.wsgi_app = _LastResort(app.wsgi_app)  # type: ignore[method-assign]
    return app


@dataclass(frozen=True)
class _Service:
    pipeline: Pipeline
    index: Index
    page_context: dict[str, Any]
    facets: dict[str, Any]  # sources and months of the archive, with their article counts


def _service() -> _Service:
    return current_app.extensions["qa"]


@pages.after_app_request
def security_headers(response: Response) -> Response:
    """The page needs no script and no inline style, so the policy can forbid both."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@pages.app_context_processor
def index_facts() -> dict[str, Any]:
    return _service().page_context


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def bad_request(error: BadRequest) -> tuple[Response, int] | tuple[str, int]:
    if _wants_json():
        return jsonify(error=error.message), error.status
    return render_template(
        "index.html", error=error.message, question=request.args.get("q", "")
    ), error.status


def user_error(error: ValueError) -> tuple[Response, int] | tuple[str, int]:
    """A question the reader cannot hold, a filter that cannot work: the user's to fix."""
    return bad_request(BadRequest(str(error)))


def overloaded(error: Overloaded) -> tuple[Response, int]:
    """Refused at once with the time the queue needs, rather than queued without end."""
    if _wants_json():
        response = jsonify(error=str(error), retry_after_s=error.retry_after_s)
    else:
        page = render_template("error.html", status=503, message=str(error))
        response = Response(page, mimetype="text/html")
    response.headers["Retry-After"] = str(error.retry_after_s)
    return response, 503


def http_error(error: HTTPException) -> tuple[Any, int]:
    status = error.code or 500
    message = {413: f"request body is larger than {MAX_BODY_BYTES // 1024} KB"}.get(
        status, error.description
    )
    if _wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def internal_error(error: Exception) -> tuple[Any, int]:
    if isinstance(error, HTTPException):
        return http_error(error)
    request_id = uuid.uuid4().hex[:12]
    log.exception("request %s failed: %s %s", request_id, request.method, request.path)
    message = f"internal error (request id {request_id})"
    if _wants_json():
        return jsonify(error=message, request_id=request_id), 500
    return render_template("error.html", status=500, message=message), 500


_ERROR_HANDLERS: list[tuple[type[Exception], Callable[[Any], Any]]] = [
    (BadRequest, bad_request),
    (QuestionTooLong, user_error),
    (BadQuestion, user_error),
    (BadFilter, user_error),
    (Overloaded, overloaded),
    (HTTPException, http_error),
    (Exception, internal_error),
]


@pages.get("/")
def home() -> str:
    raw = request.args.get("q")
    if raw is None or not raw.strip():
        return render_template("index.html", question="")
    question = api.check_question(raw)
    top_k = validate_top_k(request.args.get("top_k"))
    filters = _filters(request.args)
    result = api.result_json(_service().pipeline.ask(question, top_k, filters=filters))
    return render_template(
        "index.html",
        question=question,
        result=result,
        candidates=_candidates(result),
        filters=filters,
    )


@pages.get("/articles/<article_id>")
def article_page(article_id: str) -> str:
    article = _article_or_404(article_id)
    start, end = _highlight(request.args.get("start"), request.args.get("end"), len(article.text))
    return render_template("article.html", article=article, start=start, end=end)


@pages.route("/api/ask", methods=["GET", "POST"])
def api_ask() -> Response:
    pipeline = _service().pipeline
    if request.method == "POST":
        body = _json_body()
        if "questions" in body:
            return _ask_many(
                pipeline, body.get("questions"), validate_top_k(body.get("top_k")), _filters(body)
            )
        question, top_k, filters = (
            api.check_question(body.get("question")),
            validate_top_k(body.get("top_k")),
            _filters(body),
        )
    else:
        if "q" not in request.args:
            raise BadRequest("missing 'q': GET /api/ask takes the question as ?q=...")
        question, top_k = (
            api.check_question(request.args.get("q")),
            validate_top_k(request.args.get("top_k")),
        )
        filters = _filters(request.args)
    return jsonify(api.result_json(pipeline.ask(question, top_k, filters=filters)))


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise BadRequest("expected a JSON body with Content-Type: application/json")
    try:
        request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("request body is not UTF-8") from None
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest('malformed JSON: expected an object like {"question": "..."}')
    return body


@pages.get("/api/health")
def health() -> Response:
    service = _service()
    settings = service.pipeline.settings
    reading = service.pipeline.reader
    cascade = (
        {
            "cascade": {
                "accurate": Path(settings.cascade_accurate).name,
                "unsure_below": reading.unsure_below,
                "window_sentences": reading.window_sentences,
                "window_candidates": reading.window_candidates,
                "questions": reading.questions,
                "reread": reading.reread,
            }
        }
        if isinstance(reading, CascadeReader)
        else {}
    )
    return jsonify(
        status="ok",
        articles=len(service.index.articles),
        chunks=len(service.index.chunks),
        version=package_version(),
        models={"dense": Path(settings.dense_model).name, "reader": Path(settings.reader).name},
        no_answer_threshold=settings.no_answer_threshold,
        index_built_at=service.index.manifest.get("built_at"),
        **cascade,
    )


@pages.get("/api/articles")
def api_articles() -> Response:
    service = _service()
    articles = [api.article_summary_json(a) for a in service.index.articles.values()]
    return jsonify(articles=articles, **service.facets)


@pages.get("/api/articles/<article_id>")
def api_article(article_id: str) -> Response:
    return jsonify(api.article_json(_article_or_404(article_id)))


def _article_or_404(article_id: str) -> Any:
    article = _service().index.articles.get(article_id)
    if article is None:
        raise BadRequest(f"no article with id {article_id!r}", status=404)
    return article


class _LastResort:
    """Answers a JSON 500 for what escapes Flask: BaseExceptions such as a tokenizer's Rust panic.

    Without it the worker thread dies, no response is sent and the client's socket hangs.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            return self.wsgi_app(environ, start_response)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - the point is to catch everything else
            request_id = uuid.uuid4().hex[:12]
            log.exception(
                "request %s failed outside Flask: %s", request_id, environ.get("PATH_INFO")
            )
            body = json.dumps(
                {"error": f"internal error (request id {request_id})", "request_id": request_id}
            ).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response("500 INTERNAL SERVER ERROR", headers)
            return [body]


def _filters(values: Any) -> Filters:
    return Filters.parse(
        values.get("since"), values.get("until"), values.get("source"), values.get("as_of")
    )


def _ask_many(pipeline: Pipeline, questions: Any, top_k: int | None, filters: Filters) -> Response:
    """``{"results": [...]}`` in order: each an answer, or ``{"question", "error"}`` for a bad
    one."""
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_BATCH_QUESTIONS:
        raise BadRequest(f"'questions' must be a list of 1 to {MAX_BATCH_QUESTIONS} questions")
    limit = pipeline.settings.max_batch_passages
    cost = len(questions) * (top_k or pipeline.settings.top_k)
    if cost > limit:
        raise BadRequest(
            f"this batch asks for {cost} passages to be read (questions x top_k); at most {limit}: "
            "send fewer questions or a smaller top_k"
        )
    return jsonify(results=api.ask_batch(pipeline, questions, top_k, filters))


def _candidates(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Other answers worth a look: distinct texts within CANDIDATE_CUT of the best score, at most
    5."""
    answers = result["answers"]
    if not answers:
        return []
    # The best is shown above the list either way: as the answer, or as the closest candidate.
    floor = CANDIDATE_CUT * answers[0]["score"]
    shown = {answers[0]["text"].casefold()}
    picked = []
    for candidate in answers[1:]:
        if candidate["score"] < floor or candidate["text"].casefold() in shown:
            continue
        shown.add(candidate["text"].casefold())
        picked.append(candidate)
    return picked[:5]


def _highlight(start: str | None, end: str | None, length: int) -> tuple[int | None, int | None]:
    """Offsets from the URL, ignored unless they make a span inside the article."""
    try:
        first, last = int(start or ""), int(end or "")
    except ValueError:
        return None, None
    return (first, last) if 0 <= first < last <= length else (None, None)


def serve(
    load: Callable[[], tuple[Pipeline, Index]],
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 64,
    connection_limit: int = 1000,
) -> None:
    """Hold the port, load the index and models, then serve (web.server has the guards).

    Idle or slow connections cost the server no thread, only a socket; each request must arrive
    within ``request_deadline`` and one address may hold ``connections_per_address`` sockets.
    """
    server = bind(
        host,
        port,
        threads=threads,
        connection_limit=connection_limit,
        ident="qa",
        channel_timeout=30,
        max_request_body_size=MAX_BODY_BYTES,
        request_deadline=settings.request_deadline,
        connections_per_address=settings.connections_per_address,
    )
    # Waitress warns at every queued task; the bound on waiting work (503s) is ours to report.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    pipeline, index = load()
    pipeline.warm_up()
    server.start(create_app(pipeline, index))
    articles = len(index.articles)
    print(f"serving {articles} articles on http://{host}:{server.effective_port}/", flush=True)
    try:
        server.run()
    finally:
        server.close()
