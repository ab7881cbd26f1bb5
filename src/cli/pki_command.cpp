// `certgate pki ...`: command-line front end of the PKI toolkit (src/pki/toolkit). This file only maps
// flags to option structs and prints reports; every rule lives in the toolkit.
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "pki/pem.h"
#include "pki/toolkit/ca_setup.h"
#include "pki/toolkit/inspect.h"
#include "pki/toolkit/leaf_issuance.h"
#include "pki/toolkit/pkcs12_export.h"
#include "pki/toolkit/revocation.h"

namespace certgate::cli {
namespace {

namespace tk = pki::toolkit;

constexpr int kMaxDays = 36500;

// Prints what the command wrote, or one line on stderr and exit code 2: every failure here means the
// inputs (files, directories, values) cannot be used, which is a usage error for the caller.
void run(int& exit_code, const std::function<tk::Report()>& command) {
  try {
    for (const auto& line : command())
      std::cout << line << '\n';
    exit_code = 0;
  } catch (const std::exception& e) {
    std::cerr << "certgate: " << e.what() << '\n';
    exit_code = 2;
  }
}

void add_key_type_option(CLI::App* cmd, std::string& key_type) {
  cmd->add_option("--key-type", key_type, "Key type")
      ->check(CLI::IsMember(tk::key_type_names()))
      ->capture_default_str();
}

void add_days_option(CLI::App* cmd, int& days, const char* help) {
  cmd->add_option("--days", days, help)->check(CLI::Range(1, kMaxDays))->capture_default_str();
}

struct CaArgs {
  tk::CaOptions options;
  std::string key_type = tk::key_type_name(tk::kDefaultKeyType);
};

void add_ca_options(CLI::App* cmd, CaArgs& args) {
  auto& o = args.options;
  cmd->add_option("dir", o.dir, "CA directory to create")->required();
  cmd->add_option("--name", o.name, "The CA's common name, e.g. \"Access Testing CA\"")->required();
  add_key_type_option(cmd, args.key_type);
  add_days_option(cmd, o.days, "Validity in days");
  cmd->add_option("--crl-url", o.crl_url, "CRL distribution point put into certificates this CA issues");
  cmd->add_option("--ocsp-url", o.ocsp_url, "OCSP responder URL put into certificates this CA issues");
  cmd->add_flag("--force", o.force, "Replace a CA that already exists in DIR");
}

void add_init_ca(CLI::App& pki, int& exit_code) {
  auto* cmd = pki.add_subcommand("init-ca", "Create a self-signed root CA in a new directory");
  auto args = std::make_shared<CaArgs>();
  add_ca_options(cmd, *args);
  cmd->callback([args, &exit_code] {
    args->options.key_type = *tk::parse_key_type(args->key_type);
    run(exit_code, [&] { return tk::init_root_ca(args->options); });
  });
}

void add_init_intermediate(CLI::App& pki, int& exit_code) {
  auto* cmd =
      pki.add_subcommand("init-intermediate", "Create an intermediate CA signed by another CA directory");
  auto args = std::make_shared<CaArgs>();
  args->options.days = 1825;
  add_ca_options(cmd, *args);
  cmd->add_option("--ca", args->options.parent_dir, "Parent CA directory")->required();
  cmd->add_option("--path-len", args->options.path_len, "Intermediate CAs allowed below this one")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([args, &exit_code] {
    args->options.key_type = *tk::parse_key_type(args->key_type);
    run(exit_code, [&] { return tk::init_intermediate_ca(args->options); });
  });
}

struct LeafArgs {
  tk::LeafOptions options;
  std::string key_type = tk::key_type_name(tk::kDefaultKeyType);
};

void add_issue_profile(CLI::App& issue, tk::Profile profile, int& exit_code) {
  const bool client = profile == tk::Profile::client;
  auto* cmd =
      issue.add_subcommand(tk::profile_name(profile), client ? "Issue a client certificate (EKU clientAuth)"
                                                             : "Issue a server certificate (EKU serverAuth)");
  auto args = std::make_shared<LeafArgs>();
  auto& o = args->options;
  o.profile = profile;
  cmd->add_option("--ca", o.ca_dir, "Issuing CA directory")->required();
  auto* cn =
      cmd->add_option("--cn", o.common_name, client ? "Common name" : "Common name (default: first --dns)");
  if (client) cn->required();
  cmd->add_option("--org", o.organization, "Organization (O=)");
  cmd->add_option("--email", o.emails, "SAN email address (repeatable)");
  cmd->add_option("--uri", o.uris, "SAN URI, e.g. spiffe://example.org/ns/app (repeatable)");
  cmd->add_option("--dns", o.dns, "SAN DNS name (repeatable)");
  cmd->add_option("--ip", o.ips, "SAN IP address (repeatable)");
  add_days_option(cmd, o.days, "Validity in days");
  add_key_type_option(cmd, args->key_type);
  cmd->add_option("--out", o.out_prefix, "Output prefix: writes PREFIX.pem, PREFIX.key, PREFIX-chain.pem")
      ->required();
  cmd->add_flag("--force", o.force, "Overwrite existing output files");
  cmd->callback([args, &exit_code] {
    args->options.key_type = *tk::parse_key_type(args->key_type);
    run(exit_code, [&] { return tk::issue_leaf(args->options); });
  });
}

void add_p12(CLI::App& pki, int& exit_code) {
  auto* cmd = pki.add_subcommand("p12", "Bundle a certificate, its key and chain into a PKCS#12 file");
  auto o = std::make_shared<tk::Pkcs12FileOptions>();
  auto legacy = std::make_shared<bool>(false);
  cmd->add_option("--cert", o->cert_file, "Certificate (PEM; further certificates in it join the chain)")
      ->required();
  cmd->add_option("--key", o->key_file, "Private key (PEM)")->required();
  cmd->add_option("--chain", o->chain_files, "Chain certificates (PEM, repeatable)");
  cmd->add_option("--password", o->password, "Password protecting the file")->required();
  cmd->add_option("--name", o->friendly_name, "Friendly name shown by keychains (default: the common name)");
  cmd->add_option("--out", o->out, "Output .p12 file")->required();
  cmd->add_flag("--legacy", *legacy, "PBE-SHA1-3DES and SHA-1 MAC for older macOS and Windows");
  cmd->add_flag("--force", o->force, "Overwrite an existing output file");
  cmd->callback([o, legacy, &exit_code] {
    o->format = *legacy ? tk::Pkcs12Format::legacy : tk::Pkcs12Format::modern;
    run(exit_code, [&] { return tk::export_pkcs12_file(*o); });
  });
}

void add_revoke(CLI::App& pki, int& exit_code) {
  auto* cmd = pki.add_subcommand("revoke", "Record a certificate as revoked in the CA's index");
  auto o = std::make_shared<tk::RevokeOptions>();
  auto reason = std::make_shared<std::string>("unspecified");
  cmd->add_option("--ca", o->ca_dir, "CA directory")->required();
  auto* serial = cmd->add_option("--serial", o->serial, "Serial number (hex)");
  auto* cert = cmd->add_option("--cert", o->cert_file, "Certificate file (PEM or DER)");
  serial->excludes(cert);
  cmd->add_option("--reason", *reason, "Revocation reason")
      ->check(CLI::IsMember(tk::revocation_reason_names()))
      ->capture_default_str();
  cmd->callback([o, reason, &exit_code] {
    o->reason = *tk::parse_revocation_reason(*reason);
    run(exit_code, [&] { return tk::revoke_certificate(*o); });
  });
}

void add_crl(CLI::App& pki, int& exit_code) {
  auto* cmd = pki.add_subcommand("crl", "Write a signed CRL of everything revoked in the CA's index");
  auto o = std::make_shared<tk::CrlOptions>();
  cmd->add_option("--ca", o->ca_dir, "CA directory")->required();
  add_days_option(cmd, o->days, "Days until nextUpdate");
  cmd->add_option("--out", o->out, "Output CRL file (PEM)")->required();
  cmd->add_flag("--force", o->force, "Overwrite an existing output file");
  cmd->callback([o, &exit_code] { run(exit_code, [&] { return tk::publish_crl(*o); }); });
}

void add_inspect(CLI::App& pki, int& exit_code) {
  auto* cmd = pki.add_subcommand("inspect", "Show a certificate (PEM, DER or a PEM bundle)");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("file", *file, "Certificate file")->required();
  cmd->add_flag("--json", *json, "Print JSON (an object, or an array for a bundle)");
  cmd->callback([file, json, &exit_code] {
    run(exit_code, [&] {
      const auto text = tk::inspect_certificates(pki::read_file(*file), *file, *json, std::time(nullptr));
      std::cout << text;
      return tk::Report{};
    });
  });
}

}  // namespace

void add_pki_command(CLI::App& app, int& exit_code) {
  auto* pki = app.add_subcommand("pki", "Create and inspect CAs, certificates, PKCS#12 files and CRLs");
  pki->require_subcommand(1);
  add_init_ca(*pki, exit_code);
  add_init_intermediate(*pki, exit_code);
  auto* issue = pki->add_subcommand("issue", "Issue a client or server certificate");
  issue->require_subcommand(1);
  add_issue_profile(*issue, tk::Profile::client, exit_code);
  add_issue_profile(*issue, tk::Profile::server, exit_code);
  add_p12(*pki, exit_code);
  add_revoke(*pki, exit_code);
  add_crl(*pki, exit_code);
  add_inspect(*pki, exit_code);
}

}  // namespace certgate::cli
