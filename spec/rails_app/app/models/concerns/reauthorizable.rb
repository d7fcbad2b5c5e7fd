# frozen_string_literal: true

# Stands in for Chatwoot's Reauthorizable concern (which counts errors in Redis before it prompts): the two
# methods the wiring calls, kept in the reauthorization_required column so the specs can read them.
module Reauthorizable
  extend ActiveSupport::Concern

  def authorization_error!
    prompt_reauthorization!
  end

  def prompt_reauthorization!
    update!(reauthorization_required: true)
  end
end
