"""The floor for start-up time: a minimal Typer + Rich program that prints one table."""

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=True)


@app.command()
def show(start: str = typer.Option(..., "--start")) -> None:
    table = Table(title="plan")
    table.add_column("Date")
    table.add_column("What")
    table.add_row(start, "one row")
    Console().print(table)


if __name__ == "__main__":
    app()
