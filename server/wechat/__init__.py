"""WeChat: everything that talks to WeChat's servers: login (jscode2session), the shared
stable access token, mini-program codes (wxacode), and the message-push receiver.

May import the platform only. The push receiver hands verdicts to whoever registered a
handler (server.evidence does, at start-up), so nothing here imports a domain package.
"""
