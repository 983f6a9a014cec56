// The app: WeChat's privacy agreement hook, and sending scans kept offline when the network returns.
const privacy = require('./utils/privacy')
const scan = require('./utils/scan')

App({
  onLaunch() {
    privacy.listen()
    if (wx.onNetworkStatusChange) {
      wx.onNetworkStatusChange((res) => {
        if (res.isConnected) scan.flush().catch(() => {})
      })
    }
  },
})
