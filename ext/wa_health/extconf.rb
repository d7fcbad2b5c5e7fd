# frozen_string_literal: true

require_relative "../cargo_makefile"

CargoMakefile.create("wa_health")
