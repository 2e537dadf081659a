"""The default chat model (Gemma-3-270M, prepared from PyPI packages) answers through the API."""


def test_chat_knows_the_capital_of_france(real_app, prepared_models):
    prepared_models.require("gemma-3-270m")
    reply = real_app.client.predict(
        "What is the capital of France?",
        "gemma-3-270m",
        None,  # system prompt: the model's own
        None,  # history
        64,  # max_new_tokens: the answer comes in the first sentence
        0.0,  # temperature 0: greedy, reproducible
        api_name="/chat",
    )
    assert isinstance(reply, str)
    assert "Paris" in reply, reply
