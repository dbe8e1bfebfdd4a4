using Microsoft.Extensions.Logging;

namespace MtlEngine.Cluster;

/// <summary>
/// Orleans' log entries at or above a level, each as one line "orleans: Category: message (Exception: message)" handed
/// to a callback (the silo prints them on standard error). Below the level nothing is formatted.
/// </summary>
internal sealed class OneLineLog(Action<string> report, LogLevel minimum) : ILoggerProvider
{
    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(report, minimum, ShortName(categoryName));

    /// <inheritdoc/>
    public void Dispose() { }

    private static string ShortName(string category) => category[(category.LastIndexOf('.') + 1)..];

    private sealed class Logger(Action<string> report, LogLevel minimum, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            if (exception is not null) message += $" ({exception.GetType().Name}: {exception.GetBaseException().Message})";
            report(OneLine($"orleans: {category}: {message}"));
        }

        private static string OneLine(string text) =>
            string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
