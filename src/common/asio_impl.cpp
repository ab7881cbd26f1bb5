// Boost.Asio and Boost.Beast are built once here (separate compilation) instead of in every file.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
