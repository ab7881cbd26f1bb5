// The HTML page a browser gets for the gateway's own answers: for a refused certificate, what happened in
// plain words and what the person can try next; for every answer, the status and the request id to give
// the operator. The page never carries the reason code or its detail (those stay in the logs). A small
// inline stylesheet, readable at phone width; no script, no external resource.
#pragma once

#include <string>
#include <string_view>

#include "common/refusal_kind.h"

namespace certgate::http {

// `&`, `<`, `>`, `"` and `'` as character references, so any text is safe in an element or an attribute.
std::string html_escape(std::string_view text);

// The status line's reason phrase, also for statuses Beast does not know (nginx's 495, 496 and 497).
std::string_view reason_phrase(unsigned status);

// `message`: the fixed client-facing message (shown on pages of RefusalKind::none).
std::string refusal_page(unsigned status, RefusalKind kind, std::string_view message,
                         std::string_view request_id);

}  // namespace certgate::http
