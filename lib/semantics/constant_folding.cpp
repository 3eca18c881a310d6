// Constant folding: evaluates the value nodes whose operands are all constants, with the run-time
// implementations of the VM (functions, arithmetic, comparisons, matchers), so the result is what the VM would
// compute.
#include <string>

#include "matchers/cidr.hpp"
#include "matchers/glob.hpp"
#include "matchers/lucene_regex.hpp"
#include "semantics/normalizer_internal.hpp"
#include "text/casefold.hpp"
#include "values/string_functions.hpp"

namespace eqlc::semantics {

namespace {

vm::Value to_value(const Constant& c) {
    switch (c.index()) {
        case 1: return vm::Value::of_bool(std::get<bool>(c));
        case 2: return vm::make_integer_literal(std::get<int64_t>(c));
        case 3: return vm::Value::of_double(std::get<double>(c));
        case 4: return vm::Value::of_string(std::get<std::string>(c));
        default: return vm::Value::null();
    }
}

Constant from_value(const vm::Value& v) {
    switch (v.type) {
        case vm::ValueType::boolean: return v.boolean;
        case vm::ValueType::integer: return v.integer;
        case vm::ValueType::floating: return v.floating;
        case vm::ValueType::string: return std::string(v.str());
        default: return ast::Null{};
    }
}

// The three-valued result of a predicate on one constant value (for folding).
vm::Value predicate_on(const Predicate& p, const vm::Value& v, std::string* error) {
    if (v.is_null()) return p.op == PredOp::exists ? vm::Value::of_bool(false) : vm::Value::null();
    switch (p.op) {
        case PredOp::exists: return vm::Value::of_bool(true);
        case PredOp::cmp: return vm::compare_values(p.cmp, v, to_value(p.constants.at(0)));
        case PredOp::in: {
            for (const auto& c : p.constants)
                if (vm::scalars_equal(v, to_value(c))) return vm::Value::of_bool(true);
            return vm::Value::of_bool(false);
        }
        case PredOp::in_ci: {
            if (v.type != vm::ValueType::string) return vm::Value::of_bool(false);
            const std::string folded = text::to_lower_root(v.str());
            for (const auto& c : p.constants)
                if (c.index() == 4 && text::to_lower_root(std::get<std::string>(c)) == folded)
                    return vm::Value::of_bool(true);
            return vm::Value::of_bool(false);
        }
        case PredOp::pattern: {
            if (v.type != vm::ValueType::string) return vm::Value::of_bool(false);
            for (const auto& c : p.constants)
                if (c.index() == 4 && matchers::glob_match(std::get<std::string>(c), v.str(), p.case_insensitive))
                    return vm::Value::of_bool(true);
            return vm::Value::of_bool(false);
        }
        case PredOp::regex: {
            if (v.type != vm::ValueType::string) return vm::Value::of_bool(false);
            for (const auto& c : p.constants) {
                if (c.index() != 4) continue;
                auto m = matchers::RegexMatcher::compile(std::get<std::string>(c), p.case_insensitive);
                if (auto* e = std::get_if<matchers::RegexError>(&m)) {
                    if (error) *error = e->message;
                    return vm::Value::null();
                }
                if (std::get<matchers::RegexMatcher>(m).matches(v.str())) return vm::Value::of_bool(true);
            }
            return vm::Value::of_bool(false);
        }
        case PredOp::prefix:
            if (v.type != vm::ValueType::string || p.constants.empty() || p.constants[0].index() != 4)
                return vm::Value::null();
            return vm::Value::of_bool(
                vm::starts_with(v.str(), std::get<std::string>(p.constants[0]), p.case_insensitive));
        case PredOp::cidr: {
            if (v.type != vm::ValueType::string) return vm::Value::null();
            std::vector<std::string> blocks;
            for (const auto& c : p.constants)
                if (c.index() == 4) blocks.push_back(std::get<std::string>(c));
            auto set = matchers::CidrSet::compile(blocks);
            if (auto* e = std::get_if<matchers::CidrError>(&set)) {
                if (error) *error = e->message;
                return vm::Value::null();
            }
            return vm::Value::of_bool(std::get<matchers::CidrSet>(set).contains(v.str()));
        }
    }
    return vm::Value::null();
}

}  // namespace

// Evaluates nodes whose operands are all constants, with the run-time implementations.
ValueExpr Normalizer::fold(ValueExpr v) {
    auto constant = [&](Constant c) {
        ValueExpr out;
        out.op = ValueOp::constant;
        out.constant = std::move(c);
        out.span = v.span;
        return out;
    };
    if (v.op == ValueOp::and_ || v.op == ValueOp::or_) {
        const bool is_and = v.op == ValueOp::and_;
        std::vector<ValueExpr> kept;
        bool saw_null = false;
        for (auto& child : v.children) {
            if (child.is_constant()) {
                if (const bool* b = std::get_if<bool>(&child.constant)) {
                    if (*b != is_and) return constant(!is_and);  // absorbing element
                    continue;
                }
                saw_null = true;
                continue;
            }
            kept.push_back(std::move(child));
        }
        if (kept.empty()) return saw_null ? constant(ast::Null{}) : constant(is_and);
        if (saw_null) kept.push_back(constant(ast::Null{}));
        if (kept.size() == 1) return std::move(kept[0]);
        v.children = std::move(kept);
        return v;
    }
    if (v.op == ValueOp::constant || v.op == ValueOp::field) return v;
    for (const auto& child : v.children)
        if (!child.is_constant()) return v;

    vm::TextArena arena;
    vm::EvalErrors errors;
    std::string scratch;
    vm::FunctionContext ctx{arena, errors, scratch};
    std::vector<vm::Value> args;
    for (const auto& child : v.children) args.push_back(to_value(child.constant));
    vm::Value result;
    std::string failure;
    switch (v.op) {
        case ValueOp::call: {
            std::optional<matchers::CidrSet> cidr;
            if (v.function == FunctionId::cidr_match) {
                std::vector<std::string> blocks;
                for (const auto& c : v.predicate.constants) blocks.push_back(std::get<std::string>(c));
                auto set = matchers::CidrSet::compile(blocks);
                if (auto* e = std::get_if<matchers::CidrError>(&set)) {
                    error(v.span, e->message);
                    return constant(ast::Null{});
                }
                cidr = std::move(std::get<matchers::CidrSet>(set));
            }
            result = vm::call_function(v.function, v.case_insensitive, args, ctx, cidr ? &*cidr : nullptr);
            break;
        }
        case ValueOp::arith: result = vm::arithmetic(v.arith, args[0], args[1], ctx); break;
        case ValueOp::negate: result = vm::negate_value(args[0], ctx); break;
        case ValueOp::compare: result = vm::compare_values(v.cmp, args[0], args[1], v.compare_kind); break;
        case ValueOp::predicate: result = predicate_on(v.predicate, args[0], &failure); break;
        case ValueOp::is_null: result = vm::Value::of_bool(args[0].is_null()); break;
        case ValueOp::not_:
            result = args[0].type == vm::ValueType::boolean ? vm::Value::of_bool(!args[0].boolean) : vm::Value::null();
            break;
        default: return v;
    }
    if (errors.count > 0) {
        error(v.span, "cannot evaluate constant expression: " + errors.first);
        return constant(ast::Null{});
    }
    if (!failure.empty()) {
        error(v.span, failure);
        return constant(ast::Null{});
    }
    return constant(from_value(result));
}

}  // namespace eqlc::semantics
