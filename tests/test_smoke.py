from wikidesk.cli import main


def test_seed_question_cites_python_page(desk):
    result = desk.ask("which Python should I use on Picotte?")
    assert result["citations"][0]["page"] == "python"


def test_cli_help_exits_cleanly(capsys):
    assert main([]) == 2
