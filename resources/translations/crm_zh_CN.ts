<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
  <context>
    <name>crm</name>
    <message>
      <source>Log in</source>
      <translation>登录</translation>
    </message>
    <message>
      <source>Log out</source>
      <translation>退出登录</translation>
    </message>
    <message>
      <source>Change own password</source>
      <translation>修改本人密码</translation>
    </message>
    <message>
      <source>Log in: second-factor code</source>
      <translation>登录：双重验证码</translation>
    </message>
    <message>
      <source>Use a recovery code</source>
      <translation>使用恢复码</translation>
    </message>
    <message>
      <source>Start setting up an authenticator</source>
      <translation>开始设置身份验证器</translation>
    </message>
    <message>
      <source>Set up an authenticator</source>
      <translation>设置身份验证器</translation>
    </message>
    <message>
      <source>Create customer</source>
      <translation>新建客户</translation>
    </message>
    <message>
      <source>Change customer</source>
      <translation>修改客户</translation>
    </message>
    <message>
      <source>Read customer unmasked</source>
      <translation>查看客户未遮蔽信息</translation>
    </message>
    <message>
      <source>Reassign customer</source>
      <translation>调整客户归属</translation>
    </message>
    <message>
      <source>Ask to delete customer</source>
      <translation>申请删除客户</translation>
    </message>
    <message>
      <source>Delete customer (archived)</source>
      <translation>删除客户（已归档）</translation>
    </message>
    <message>
      <source>Bring customer back from the archive</source>
      <translation>从归档中恢复客户</translation>
    </message>
    <message>
      <source>Search deleted customers</source>
      <translation>查询已删除客户</translation>
    </message>
    <message>
      <source>Reset user's second factor</source>
      <translation>重置用户的双重验证</translation>
    </message>
    <message>
      <source>Create user</source>
      <translation>新建用户</translation>
    </message>
    <message>
      <source>Change user</source>
      <translation>修改用户</translation>
    </message>
    <message>
      <source>Lock user</source>
      <translation>锁定用户</translation>
    </message>
    <message>
      <source>Unlock user</source>
      <translation>解锁用户</translation>
    </message>
    <message>
      <source>Reset user's password</source>
      <translation>重置用户密码</translation>
    </message>
    <message>
      <source>End user's sessions</source>
      <translation>结束用户的全部会话</translation>
    </message>
    <message>
      <source>Grant privileged role</source>
      <translation>授予特权角色</translation>
    </message>
    <message>
      <source>Create organisation</source>
      <translation>新建机构</translation>
    </message>
    <message>
      <source>Change organisation</source>
      <translation>修改机构</translation>
    </message>
    <message>
      <source>Request approval</source>
      <translation>提交审批</translation>
    </message>
    <message>
      <source>Approve request</source>
      <translation>批准申请</translation>
    </message>
    <message>
      <source>Reject request</source>
      <translation>驳回申请</translation>
    </message>
    <message>
      <source>Decide request</source>
      <translation>审批申请</translation>
    </message>
    <message>
      <source>Change system parameter</source>
      <translation>修改系统参数</translation>
    </message>
    <message>
      <source>Import customers</source>
      <translation>导入客户</translation>
    </message>
    <message>
      <source>Export customer list</source>
      <translation>导出客户列表</translation>
    </message>
    <message>
      <source>Export staff list</source>
      <translation>导出员工列表</translation>
    </message>
    <message>
      <source>Export audit trail</source>
      <translation>导出审计日志</translation>
    </message>
    <message>
      <source>Export approvals list</source>
      <translation>导出审批列表</translation>
    </message>
    <message>
      <source>Request outside the role's rights</source>
      <translation>超出角色权限的请求</translation>
    </message>
    <message>
      <source>Own session</source>
      <translation>本人会话</translation>
    </message>
    <message>
      <source>View organisations</source>
      <translation>查看机构</translation>
    </message>
    <message>
      <source>Manage organisations</source>
      <translation>管理机构</translation>
    </message>
    <message>
      <source>Organisation history</source>
      <translation>机构变更历史</translation>
    </message>
    <message>
      <source>View staff</source>
      <translation>查看员工</translation>
    </message>
    <message>
      <source>Assign user's role or organisation</source>
      <translation>调整用户角色或机构</translation>
    </message>
    <message>
      <source>User history</source>
      <translation>用户变更历史</translation>
    </message>
    <message>
      <source>View approvals</source>
      <translation>查看审批</translation>
    </message>
    <message>
      <source>Look up customer</source>
      <translation>查询客户</translation>
    </message>
    <message>
      <source>Read customer's full record</source>
      <translation>查看客户完整信息</translation>
    </message>
    <message>
      <source>Change customer's contact details</source>
      <translation>修改客户联系方式</translation>
    </message>
    <message>
      <source>Change customer's profile</source>
      <translation>修改客户资料</translation>
    </message>
    <message>
      <source>Customer history</source>
      <translation>客户变更历史</translation>
    </message>
    <message>
      <source>View household finances</source>
      <translation>查看家庭财务</translation>
    </message>
    <message>
      <source>Change household finances</source>
      <translation>修改家庭财务</translation>
    </message>
    <message>
      <source>Change household members</source>
      <translation>修改家庭成员</translation>
    </message>
    <message>
      <source>Create balance sheet</source>
      <translation>新建资产负债表</translation>
    </message>
    <message>
      <source>Change balance sheet</source>
      <translation>修改资产负债表</translation>
    </message>
    <message>
      <source>Delete balance sheet</source>
      <translation>删除资产负债表</translation>
    </message>
    <message>
      <source>Create income table</source>
      <translation>新建年度收支表</translation>
    </message>
    <message>
      <source>Change income table</source>
      <translation>修改年度收支表</translation>
    </message>
    <message>
      <source>Delete income table</source>
      <translation>删除年度收支表</translation>
    </message>
    <message>
      <source>Read audit trail</source>
      <translation>查看审计日志</translation>
    </message>
    <message>
      <source>View system parameters</source>
      <translation>查看系统参数</translation>
    </message>
    <message>
      <source>Change system parameters</source>
      <translation>修改系统参数</translation>
    </message>
    <message>
      <source>View background jobs</source>
      <translation>查看后台任务</translation>
    </message>
    <message>
      <source>Cancel a background job</source>
      <translation>取消后台任务</translation>
    </message>
    <message>
      <source>Download a background job's files</source>
      <translation>下载后台任务的文件</translation>
    </message>
    <message>
      <source>Print financial statements</source>
      <translation>打印家庭财务报告</translation>
    </message>
    <message>
      <source>Print financial statement</source>
      <translation>打印家庭财务报告</translation>
    </message>
    <message>
      <source>Print a batch of financial statements</source>
      <translation>批量打印家庭财务报告</translation>
    </message>
    <message>
      <source>Succeeded</source>
      <translation>成功</translation>
    </message>
    <message>
      <source>Failed</source>
      <translation>失败</translation>
    </message>
    <message>
      <source>Refused</source>
      <translation>被拒绝</translation>
    </message>
    <message>
      <source>Held back (too many attempts)</source>
      <translation>已暂停（尝试次数过多）</translation>
    </message>
    <message>
      <source>Awaiting approval</source>
      <translation>待审批</translation>
    </message>
    <message>
      <source>Applied</source>
      <translation>已导入</translation>
    </message>
    <message>
      <source>File refused</source>
      <translation>文件被拒收</translation>
    </message>
    <message>
      <source>Already imported</source>
      <translation>此前已导入</translation>
    </message>
    <message>
      <source>Password right, second factor to follow</source>
      <translation>密码正确，待双重验证</translation>
    </message>
    <message>
      <source>Customer</source>
      <translation>客户</translation>
    </message>
    <message>
      <source>User</source>
      <translation>用户</translation>
    </message>
    <message>
      <source>Organisation</source>
      <translation>机构</translation>
    </message>
    <message>
      <source>Approval request</source>
      <translation>审批申请</translation>
    </message>
    <message>
      <source>System parameter</source>
      <translation>系统参数</translation>
    </message>
    <message>
      <source>Import batch</source>
      <translation>导入批次</translation>
    </message>
    <message>
      <source>Audit trail</source>
      <translation>审计日志</translation>
    </message>
    <message>
      <source>Balance sheet</source>
      <translation>资产负债表</translation>
    </message>
    <message>
      <source>Income table</source>
      <translation>年度收支表</translation>
    </message>
    <message>
      <source>Background job</source>
      <translation>后台任务</translation>
    </message>
    <message>
      <source>the account is locked</source>
      <translation>账户已锁定</translation>
    </message>
    <message>
      <source>the account is disabled</source>
      <translation>账户已停用</translation>
    </message>
    <message>
      <source>no such user</source>
      <translation>用户不存在</translation>
    </message>
    <message>
      <source>wrong password</source>
      <translation>密码错误</translation>
    </message>
    <message>
      <source>one's own account</source>
      <translation>本人账户</translation>
    </message>
    <message>
      <source>too many failed logins</source>
      <translation>登录失败次数过多</translation>
    </message>
    <message>
      <source>too many attempts from this address</source>
      <translation>该地址尝试次数过多</translation>
    </message>
    <message>
      <source>too many attempts for this account</source>
      <translation>该账户尝试次数过多</translation>
    </message>
    <message>
      <source>the old password was wrong</source>
      <translation>原密码错误</translation>
    </message>
    <message>
      <source>one's own request</source>
      <translation>本人提交的申请</translation>
    </message>
    <message>
      <source>the requester set the credentials</source>
      <translation>凭据由申请人设置</translation>
    </message>
    <message>
      <source>the checker is the one it concerns</source>
      <translation>审批人即被操作的对象</translation>
    </message>
    <message>
      <source>wrong code</source>
      <translation>验证码错误</translation>
    </message>
    <message>
      <source>the login step had expired or was already used</source>
      <translation>登录步骤已过期或已被使用</translation>
    </message>
    <message>
      <source>Fields</source>
      <translation>字段</translation>
    </message>
    <message>
      <source>Reason</source>
      <translation>原因</translation>
    </message>
    <message>
      <source>Members</source>
      <translation>成员</translation>
    </message>
    <message>
      <source>As of</source>
      <translation>截至日期</translation>
    </message>
    <message>
      <source>Year</source>
      <translation>年度</translation>
    </message>
    <message>
      <source>Role</source>
      <translation>角色</translation>
    </message>
    <message>
      <source>Needs</source>
      <translation>所需权限</translation>
    </message>
    <message>
      <source>Rows read</source>
      <translation>读取行数</translation>
    </message>
    <message>
      <source>Created</source>
      <translation>新建</translation>
    </message>
    <message>
      <source>Updated</source>
      <translation>更新</translation>
    </message>
    <message>
      <source>Rejected</source>
      <translation>拒收</translation>
    </message>
    <message>
      <source>Business date</source>
      <translation>业务日期</translation>
    </message>
    <message>
      <source>Error</source>
      <translation>错误</translation>
    </message>
    <message>
      <source>Sessions ended</source>
      <translation>结束的会话</translation>
    </message>
    <message>
      <source>Name</source>
      <translation>姓名</translation>
    </message>
    <message>
      <source>Via</source>
      <translation>方式</translation>
    </message>
    <message>
      <source>Device</source>
      <translation>设备</translation>
    </message>
    <message>
      <source>Format</source>
      <translation>格式</translation>
    </message>
    <message>
      <source>Rows</source>
      <translation>行数</translation>
    </message>
    <message>
      <source>Columns</source>
      <translation>列</translation>
    </message>
    <message>
      <source>Filters</source>
      <translation>筛选条件</translation>
    </message>
    <message>
      <source>Second factor</source>
      <translation>双重验证</translation>
    </message>
    <message>
      <source>Method</source>
      <translation>验证方式</translation>
    </message>
    <message>
      <source>Recovery codes left</source>
      <translation>剩余恢复码</translation>
    </message>
    <message>
      <source>Tries left</source>
      <translation>剩余尝试次数</translation>
    </message>
    <message>
      <source>Search text</source>
      <translation>搜索内容</translation>
    </message>
    <message>
      <source>Account manager</source>
      <translation>客户经理</translation>
    </message>
    <message>
      <source>Type</source>
      <translation>类型</translation>
    </message>
    <message>
      <source>Sorted by</source>
      <translation>排序</translation>
    </message>
    <message>
      <source>Status</source>
      <translation>状态</translation>
    </message>
    <message>
      <source>Action</source>
      <translation>操作</translation>
    </message>
    <message>
      <source>Object id</source>
      <translation>对象编号</translation>
    </message>
    <message>
      <source>the create-admin command</source>
      <translation>命令行创建管理员</translation>
    </message>
    <message>
      <source>a device seen before</source>
      <translation>已识别的设备</translation>
    </message>
    <message>
      <source>a new device</source>
      <translation>新设备</translation>
    </message>
    <message>
      <source>the first login</source>
      <translation>首次登录</translation>
    </message>
    <message>
      <source>a new authenticator from the Session menu</source>
      <translation>从“会话”菜单更换身份验证器</translation>
    </message>
    <message>
      <source>first-time setup</source>
      <translation>首次设置</translation>
    </message>
    <message>
      <source>authenticator app code</source>
      <translation>身份验证器验证码</translation>
    </message>
    <message>
      <source>recovery code</source>
      <translation>恢复码</translation>
    </message>
    <message>
      <source>System</source>
      <translation>系统</translation>
    </message>
    <message>
      <source>Operator (command line)</source>
      <translation>运维人员（命令行）</translation>
    </message>
    <message>
      <source>Demo data</source>
      <translation>演示数据</translation>
    </message>
    <message>
      <source>Username</source>
      <translation>用户名</translation>
    </message>
    <message>
      <source>Full name</source>
      <translation>姓名</translation>
    </message>
    <message>
      <source>Position</source>
      <translation>职务</translation>
    </message>
    <message>
      <source>Disabled</source>
      <translation>已停用</translation>
    </message>
    <message>
      <source>%1: %2 %3 — %4</source>
      <translation>%1：%2 %3 — %4</translation>
    </message>
    <message>
      <source>; </source>
      <translation>；</translation>
    </message>
    <message>
      <source>(unknown)</source>
      <translation>（未知）</translation>
    </message>
    <message>
      <source>, </source>
      <translation>、</translation>
    </message>
    <message>
      <source>Customer no.</source>
      <translation>客户号</translation>
    </message>
    <message>
      <source>(descending)</source>
      <translation>（降序）</translation>
    </message>
    <message>
      <source>Gender</source>
      <translation>性别</translation>
    </message>
    <message>
      <source>Date of birth</source>
      <translation>出生日期</translation>
    </message>
    <message>
      <source>Resident ID</source>
      <translation>身份证号</translation>
    </message>
    <message>
      <source>Credit code</source>
      <translation>统一社会信用代码</translation>
    </message>
    <message>
      <source>Mobile</source>
      <translation>手机号</translation>
    </message>
    <message>
      <source>Address</source>
      <translation>地址</translation>
    </message>
    <message>
      <source>Occupation</source>
      <translation>职业</translation>
    </message>
    <message>
      <source>Employer</source>
      <translation>工作单位</translation>
    </message>
    <message>
      <source>Marital status</source>
      <translation>婚姻状况</translation>
    </message>
    <message>
      <source>Education</source>
      <translation>学历</translation>
    </message>
    <message>
      <source>Income band</source>
      <translation>年收入</translation>
    </message>
    <message>
      <source>Lifecycle stage</source>
      <translation>生命周期阶段</translation>
    </message>
    <message>
      <source>Branch</source>
      <translation>所属机构</translation>
    </message>
    <message>
      <source>Required</source>
      <translation>必填</translation>
    </message>
    <message>
      <source>Too long</source>
      <translation>内容过长</translation>
    </message>
    <message>
      <source>Choose one of the offered values</source>
      <translation>请从选项中选择</translation>
    </message>
    <message>
      <source>Not a valid date</source>
      <translation>日期无效</translation>
    </message>
    <message>
      <source>Not valid</source>
      <translation>格式不正确</translation>
    </message>
    <message>
      <source>Contains control characters</source>
      <translation>含有非法控制字符</translation>
    </message>
    <message>
      <source>17 digits followed by a digit or X</source>
      <translation>应为17位数字加1位数字或X</translation>
    </message>
    <message>
      <source>The first two digits are not a province</source>
      <translation>前两位不是有效的省级代码</translation>
    </message>
    <message>
      <source>Digits 7-14 are not a possible date of birth</source>
      <translation>第7-14位不是有效的出生日期</translation>
    </message>
    <message>
      <source>Check digit does not match: please re-check the number</source>
      <translation>校验码不符，请核对号码</translation>
    </message>
    <message>
      <source>A customer with this resident ID already exists</source>
      <translation>该身份证号的客户已存在</translation>
    </message>
    <message>
      <source>Does not agree with the resident ID</source>
      <translation>与身份证号不一致</translation>
    </message>
    <message>
      <source>Date of birth is in the future</source>
      <translation>出生日期晚于今天</translation>
    </message>
    <message>
      <source>A mobile number has 11 digits starting 13-19</source>
      <translation>手机号应为以13-19开头的11位数字</translation>
    </message>
    <message>
      <source>18 characters: digits and capital letters</source>
      <translation>18 位：数字和大写字母</translation>
    </message>
    <message>
      <source>Check character does not match: please re-check the code</source>
      <translation>校验码不符：请核对代码</translation>
    </message>
    <message>
      <source>A customer with this credit code already exists</source>
      <translation>已有使用该统一社会信用代码的客户</translation>
    </message>
    <message>
      <source>This organisation code is taken</source>
      <translation>该机构代码已被使用</translation>
    </message>
    <message>
      <source>There is exactly one head office</source>
      <translation>总行只能有一个</translation>
    </message>
    <message>
      <source>Choose an existing parent organisation</source>
      <translation>请选择已有的上级机构</translation>
    </message>
    <message>
      <source>A branch sits under the head office, a sub-branch under a branch</source>
      <translation>支行隶属总行，分理处隶属支行</translation>
    </message>
    <message>
      <source>Choose an organisation within your own</source>
      <translation>请选择本机构及下属机构</translation>
    </message>
    <message>
      <source>Choose an existing branch</source>
      <translation>请选择已有机构</translation>
    </message>
    <message>
      <source>Does not apply to this type of customer</source>
      <translation>不适用于该类客户</translation>
    </message>
    <message>
      <source>The request could not be read</source>
      <translation>无法解析请求内容</translation>
    </message>
    <message>
      <source>This field cannot be changed</source>
      <translation>该字段不可修改</translation>
    </message>
    <message>
      <source>Choose your own branch or one below it</source>
      <translation>请选择本机构或下属机构</translation>
    </message>
    <message>
      <source>Choose an account manager of your branch</source>
      <translation>请选择本机构的客户经理</translation>
    </message>
    <message>
      <source>Wrong username or password, or the account is locked</source>
      <translation>用户名或密码错误，或账户已锁定</translation>
    </message>
    <message>
      <source>Too many failed attempts: wait a moment and try again</source>
      <translation>失败次数过多，请稍后再试</translation>
    </message>
    <message>
      <source>Your session has ended: please log in again</source>
      <translation>会话已结束，请重新登录</translation>
    </message>
    <message>
      <source>Your role may not do this</source>
      <translation>您的角色无权执行此操作</translation>
    </message>
    <message>
      <source>Your role may not change some of these fields</source>
      <translation>您的角色无权修改其中部分字段</translation>
    </message>
    <message>
      <source>Not found</source>
      <translation>未找到</translation>
    </message>
    <message>
      <source>Someone else changed this record</source>
      <translation>该记录已被他人修改</translation>
    </message>
    <message>
      <source>The server cannot be reached</source>
      <translation>无法连接服务器</translation>
    </message>
    <message>
      <source>The server could not complete the request</source>
      <translation>服务器未能完成请求</translation>
    </message>
    <message>
      <source>Please correct the marked fields</source>
      <translation>请更正标出的字段</translation>
    </message>
    <message>
      <source>The server took this save for another one: please save again</source>
      <translation>服务器把这次保存当成了另一次：请再保存一次</translation>
    </message>
    <message>
      <source>This save is still being processed: wait a moment</source>
      <translation>这次保存仍在处理中：请稍候</translation>
    </message>
    <message>
      <source>The request's idempotency key is not valid: please save again</source>
      <translation>请求的幂等键无效：请重新保存</translation>
    </message>
    <message>
      <source>The server does not offer this here</source>
      <translation>服务器不支持此操作</translation>
    </message>
    <message>
      <source>Too short</source>
      <translation>太短</translation>
    </message>
    <message>
      <source>Not a field of this form</source>
      <translation>不是本表单的字段</translation>
    </message>
    <message>
      <source>Not a whole number</source>
      <translation>不是整数</translation>
    </message>
    <message>
      <source>At least 12 characters</source>
      <translation>至少 12 个字符</translation>
    </message>
    <message>
      <source>At most 128 characters</source>
      <translation>最多 128 个字符</translation>
    </message>
    <message>
      <source>The password must differ from the username</source>
      <translation>密码不能与用户名相同</translation>
    </message>
    <message>
      <source>This password is too common: choose another</source>
      <translation>该密码过于常见，请另选</translation>
    </message>
    <message>
      <source>Choose a password different from the current one</source>
      <translation>新密码须与当前密码不同</translation>
    </message>
    <message>
      <source>The two passwords differ</source>
      <translation>两次输入的密码不一致</translation>
    </message>
    <message>
      <source>The current password is wrong</source>
      <translation>当前密码错误</translation>
    </message>
    <message>
      <source>Wrong code: check the code your app shows now and try again</source>
      <translation>验证码错误：请核对应用当前显示的验证码后重试</translation>
    </message>
    <message>
      <source>The login took too long or was already used: enter your password again</source>
      <translation>登录已超时或已被使用：请重新输入密码</translation>
    </message>
    <message>
      <source>No new authenticator is being set up: start again</source>
      <translation>当前没有正在设置的新身份验证器：请重新开始</translation>
    </message>
    <message>
      <source>Change your password first</source>
      <translation>请先修改密码</translation>
    </message>
    <message>
      <source>2-40 letters, digits, dots, dashes or underscores</source>
      <translation>2-40 位字母、数字、点、连字符或下划线</translation>
    </message>
    <message>
      <source>This username is taken</source>
      <translation>该用户名已被使用</translation>
    </message>
    <message>
      <source>Choose an existing organisation</source>
      <translation>请选择已有机构</translation>
    </message>
    <message>
      <source>You cannot lock your own account</source>
      <translation>不能锁定自己的账号</translation>
    </message>
    <message>
      <source>You cannot decide your own request</source>
      <translation>不能审批自己提交的申请</translation>
    </message>
    <message>
      <source>This request has already been decided</source>
      <translation>该申请已处理</translation>
    </message>
    <message>
      <source>The record changed after the request was made: ask for it again</source>
      <translation>申请提交后记录已被修改：请重新提交申请</translation>
    </message>
    <message>
      <source>This server cannot carry out this kind of request</source>
      <translation>服务器无法执行此类申请</translation>
    </message>
    <message>
      <source>Your password was last set by the requester: another checker must decide</source>
      <translation>您的密码最近一次由申请人设置：须由其他复核人审批</translation>
    </message>
    <message>
      <source>You cannot decide a request about your own account</source>
      <translation>不能审批与您本人账户有关的申请</translation>
    </message>
    <message>
      <source>A request to delete this customer is already waiting for a checker</source>
      <translation>删除该客户的申请已在等待复核</translation>
    </message>
    <message>
      <source>The time allowed for bringing this customer back has passed</source>
      <translation>该客户的可恢复期限已过</translation>
    </message>
    <message>
      <source>Another customer now holds this customer's ID or number: the archived one cannot come back</source>
      <translation>该客户的证件号码或编号现已属于另一位客户：无法恢复已归档的客户</translation>
    </message>
    <message>
      <source>This customer's record number is in use again: ask IT to restore it</source>
      <translation>该客户的记录编号已被重新使用：请联系信息技术部门恢复</translation>
    </message>
    <message>
      <source>Too many requests in a short time: wait a moment and try again</source>
      <translation>短时间内请求过多：请稍候再试</translation>
    </message>
    <message>
      <source>Nobody changes their own role, branch, lock or password here</source>
      <translation>任何人都不能在此修改本人的角色、机构、锁定状态或密码</translation>
    </message>
    <message>
      <source>Not a number</source>
      <translation>不是有效数字</translation>
    </message>
    <message>
      <source>Too many decimal places</source>
      <translation>小数位数过多</translation>
    </message>
    <message>
      <source>Out of the allowed range</source>
      <translation>超出允许范围</translation>
    </message>
    <message>
      <source>The request is too large</source>
      <translation>请求内容过大</translation>
    </message>
    <message>
      <source>The server is busy: try again in a moment</source>
      <translation>服务器繁忙，请稍后重试</translation>
    </message>
    <message>
      <source>Something went wrong in this program: please tell IT</source>
      <translation>程序出现异常：请联系信息技术部门</translation>
    </message>
    <message>
      <source>The lower bound is above the upper bound</source>
      <translation>下限高于上限</translation>
    </message>
    <message>
      <source>This ratio has a range already</source>
      <translation>该比率已有参考范围</translation>
    </message>
    <message>
      <source>Every ratio needs a range</source>
      <translation>每个比率都需要参考范围</translation>
    </message>
    <message>
      <source>This ticket type and priority have a target already</source>
      <translation>该工单类型和优先级已有时限</translation>
    </message>
    <message>
      <source>Every ticket type and priority needs a target</source>
      <translation>每种工单类型和优先级都需要时限</translation>
    </message>
    <message>
      <source>The thresholds must rise from one level to the next</source>
      <translation>各级阈值必须逐级升高</translation>
    </message>
    <message>
      <source>The file's header is not the one this kind of file has</source>
      <translation>文件表头与该类文件不符</translation>
    </message>
    <message>
      <source>The file is not UTF-8 text</source>
      <translation>文件不是 UTF-8 编码的文本</translation>
    </message>
    <message>
      <source>The file has no trailer line (TRAILER,rows,sum)</source>
      <translation>文件缺少尾行（TRAILER,行数,合计）</translation>
    </message>
    <message>
      <source>The file's trailer does not agree with its rows</source>
      <translation>文件尾行与数据行不符</translation>
    </message>
    <message>
      <source>The file cannot be read as CSV</source>
      <translation>无法按 CSV 读取该文件</translation>
    </message>
    <message>
      <source>The row does not have the header's number of fields</source>
      <translation>该行字段数与表头不符</translation>
    </message>
    <message>
      <source>The same customer appears twice in the file</source>
      <translation>同一客户在文件中出现两次</translation>
    </message>
    <message>
      <source>This core-banking id belongs to another customer</source>
      <translation>该核心系统编号属于另一位客户</translation>
    </message>
    <message>
      <source>Too many rows were rejected: nothing of the file was applied</source>
      <translation>被拒绝的行过多：文件内容均未生效</translation>
    </message>
    <message>
      <source>The import failed on the server: nothing of the file was applied</source>
      <translation>服务器导入失败：文件内容均未生效</translation>
    </message>
    <message>
      <source>The background job failed on the server</source>
      <translation>后台任务在服务器上失败</translation>
    </message>
    <message>
      <source>This server cannot run this kind of job</source>
      <translation>该服务器无法执行此类后台任务</translation>
    </message>
    <message>
      <source>The background job stopped without finishing</source>
      <translation>后台任务未完成即已停止</translation>
    </message>
    <message>
      <source>A household has one customer it belongs to</source>
      <translation>一个家庭只有一位本人</translation>
    </message>
    <message>
      <source>Not a member of this household: reload it</source>
      <translation>不是该家庭的成员：请重新加载</translation>
    </message>
    <message>
      <source>Choose a customer you can look up</source>
      <translation>请选择您可查询的客户</translation>
    </message>
    <message>
      <source>This customer has an income table of that year already</source>
      <translation>该客户已有该年度的收支表</translation>
    </message>
    <message>
      <source>Not a member of this customer's household</source>
      <translation>不是该客户的家庭成员</translation>
    </message>
    <message>
      <source>This customer has a balance sheet of that date already</source>
      <translation>该客户已有该日期的资产负债表</translation>
    </message>
    <message>
      <source>There is no balance sheet or income table to print yet</source>
      <translation>尚无可打印的资产负债表或收支表</translation>
    </message>
    <message>
      <source>Too many customers for one batch: print a manager's book at a time</source>
      <translation>一次批量的客户过多：请按客户经理分批打印</translation>
    </message>
    <message>
      <source>Your previous batch of statements is still being printed</source>
      <translation>您上一批报告仍在打印中</translation>
    </message>
    <message>
      <source>You may no longer print these statements</source>
      <translation>您已无权打印这些报告</translation>
    </message>
    <message>
      <source>The background job has already ended</source>
      <translation>后台任务已经结束</translation>
    </message>
    <message>
      <source>The list holds too many rows for one export: narrow it first</source>
      <translation>列表行数过多，无法一次导出：请先缩小范围</translation>
    </message>
    <message>
      <source>The export was stopped: no file was written</source>
      <translation>导出已停止：未写入文件</translation>
    </message>
    <message>
      <source>The file could not be written</source>
      <translation>无法写入文件</translation>
    </message>
    <message>
      <source>Teller</source>
      <translation>柜员</translation>
    </message>
    <message>
      <source>Branch manager</source>
      <translation>支行行长</translation>
    </message>
    <message>
      <source>Head-office admin</source>
      <translation>总行管理员</translation>
    </message>
    <message>
      <source>Auditor</source>
      <translation>审计员</translation>
    </message>
    <message>
      <source>Male</source>
      <translation>男</translation>
    </message>
    <message>
      <source>Female</source>
      <translation>女</translation>
    </message>
    <message>
      <source>Single</source>
      <translation>未婚</translation>
    </message>
    <message>
      <source>Married</source>
      <translation>已婚</translation>
    </message>
    <message>
      <source>Divorced</source>
      <translation>离异</translation>
    </message>
    <message>
      <source>Widowed</source>
      <translation>丧偶</translation>
    </message>
    <message>
      <source>Primary school</source>
      <translation>小学</translation>
    </message>
    <message>
      <source>Junior secondary</source>
      <translation>初中</translation>
    </message>
    <message>
      <source>Senior secondary</source>
      <translation>高中</translation>
    </message>
    <message>
      <source>Vocational college</source>
      <translation>大专</translation>
    </message>
    <message>
      <source>Bachelor</source>
      <translation>本科</translation>
    </message>
    <message>
      <source>Master</source>
      <translation>硕士</translation>
    </message>
    <message>
      <source>Doctorate</source>
      <translation>博士</translation>
    </message>
    <message>
      <source>Below 50,000</source>
      <translation>5万元以下</translation>
    </message>
    <message>
      <source>50,000-100,000</source>
      <translation>5万-10万元</translation>
    </message>
    <message>
      <source>100,000-300,000</source>
      <translation>10万-30万元</translation>
    </message>
    <message>
      <source>300,000-1,000,000</source>
      <translation>30万-100万元</translation>
    </message>
    <message>
      <source>Above 1,000,000</source>
      <translation>100万元以上</translation>
    </message>
    <message>
      <source>Acquisition</source>
      <translation>获取期</translation>
    </message>
    <message>
      <source>Growth</source>
      <translation>成长期</translation>
    </message>
    <message>
      <source>Maturity</source>
      <translation>成熟期</translation>
    </message>
    <message>
      <source>Decline</source>
      <translation>衰退期</translation>
    </message>
    <message>
      <source>Head office</source>
      <translation>总行</translation>
    </message>
    <message>
      <source>Branch</source>
      <comment>org kind</comment>
      <translation>支行</translation>
    </message>
    <message>
      <source>Sub-branch</source>
      <translation>分理处</translation>
    </message>
    <message>
      <source>Changed</source>
      <translation>修改</translation>
    </message>
    <message>
      <source>Branch president</source>
      <translation>行长</translation>
    </message>
    <message>
      <source>Department head</source>
      <translation>部门负责人</translation>
    </message>
    <message>
      <source>Staff</source>
      <translation>员工</translation>
    </message>
    <message>
      <source>Grant a privileged role</source>
      <translation>授予特权角色</translation>
    </message>
    <message>
      <source>New user</source>
      <translation>新建用户</translation>
    </message>
    <message>
      <source>Change a user</source>
      <translation>修改用户</translation>
    </message>
    <message>
      <source>Unlock a user</source>
      <translation>解锁用户</translation>
    </message>
    <message>
      <source>Reset a password</source>
      <translation>重置密码</translation>
    </message>
    <message>
      <source>Reassign a customer</source>
      <translation>调整客户归属</translation>
    </message>
    <message>
      <source>Delete a customer</source>
      <translation>删除客户</translation>
    </message>
    <message>
      <source>Reset a second factor</source>
      <translation>重置双重验证</translation>
    </message>
    <message>
      <source>Personal</source>
      <translation>个人</translation>
    </message>
    <message>
      <source>Corporate</source>
      <translation>对公</translation>
    </message>
    <message>
      <source>Pending</source>
      <translation>待审批</translation>
    </message>
    <message>
      <source>Approved</source>
      <translation>已批准</translation>
    </message>
    <message>
      <source>Self</source>
      <translation>本人</translation>
    </message>
    <message>
      <source>Spouse</source>
      <translation>配偶</translation>
    </message>
    <message>
      <source>Child</source>
      <translation>子女</translation>
    </message>
    <message>
      <source>Parent</source>
      <translation>父母</translation>
    </message>
    <message>
      <source>Other relative</source>
      <translation>其他亲属</translation>
    </message>
    <message>
      <source>Waiting</source>
      <translation>等待中</translation>
    </message>
    <message>
      <source>Running</source>
      <translation>进行中</translation>
    </message>
    <message>
      <source>Done</source>
      <translation>已完成</translation>
    </message>
    <message>
      <source>Cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <source>Unsaved changes</source>
      <translation>有未保存的修改</translation>
    </message>
    <message>
      <source>Your password has been changed.</source>
      <translation>密码已修改。</translation>
    </message>
    <message>
      <source>Open forms of the user logged in before hold unsaved changes (%1). Log in as someone else and discard them?</source>
      <translation>之前登录的用户有未保存修改的表单（%1 个）。要以其他用户登录并放弃这些修改吗？</translation>
    </message>
    <message>
      <source>Age</source>
      <translation>年龄</translation>
    </message>
    <message>
      <source>Resident ID / credit code</source>
      <translation>身份证号 / 信用代码</translation>
    </message>
    <message>
      <source>Company name</source>
      <translation>企业名称</translation>
    </message>
    <message>
      <source>Phone</source>
      <translation>电话</translation>
    </message>
    <message>
      <source>The server's certificate is not signed by a trusted authority: the connection was refused. Ask IT to check the server's certificate or this computer's CA file.</source>
      <translation>服务器的证书不是由受信任的机构签发的：已拒绝连接。请联系信息技术部门检查服务器证书或本机的 CA 文件。</translation>
    </message>
    <message>
      <source>The server's certificate is for another host name than the server address entered: the connection was refused. Check the address.</source>
      <translation>服务器证书的主机名与输入的服务器地址不符：已拒绝连接。请检查地址。</translation>
    </message>
    <message>
      <source>The server's certificate has expired or is not yet valid: the connection was refused. Check this computer's date and time, or ask IT.</source>
      <translation>服务器的证书已过期或尚未生效：已拒绝连接。请检查本机的日期和时间，或联系信息技术部门。</translation>
    </message>
    <message>
      <source>The server's certificate could not be verified: the connection was refused.</source>
      <translation>无法验证服务器的证书：已拒绝连接。</translation>
    </message>
    <message>
      <source>No secure connection to the server could be made (TLS 1.2 or newer is needed): check the address.</source>
      <translation>无法与服务器建立安全连接（需要 TLS 1.2 或更高版本）：请检查地址。</translation>
    </message>
    <message>
      <source>Refused: http:// is not encrypted and is allowed only to a server on this computer. Use the server's https:// address.</source>
      <translation>已拒绝：http:// 不加密，只允许用于本机上的服务器。请使用服务器的 https:// 地址。</translation>
    </message>
    <message>
      <source>The CA file set for this client cannot be read or holds no certificate.</source>
      <translation>为本客户端设置的 CA 文件无法读取或不含证书。</translation>
    </message>
    <message>
      <source>(your input is kept: try again)</source>
      <translation>（您的输入已保留：请重试）</translation>
    </message>
    <message>
      <source>Your role may not change this field</source>
      <translation>您的角色不能修改此项</translation>
    </message>
    <message>
      <source>(try again in %1 s)</source>
      <translation>（%1 秒后可重试）</translation>
    </message>
    <message>
      <source>Your role may not change: %1</source>
      <translation>您的角色不能修改：%1</translation>
    </message>
    <message>
      <source>(none)</source>
      <translation>（无）</translation>
    </message>
    <message>
      <source>Display name</source>
      <translation>显示名称</translation>
    </message>
    <message>
      <source>a new account manager</source>
      <translation>更换客户经理</translation>
    </message>
    <message>
      <source>My requests</source>
      <translation>我的申请</translation>
    </message>
    <message>
      <source>Reason (shown to the requester; required to reject)</source>
      <translation>原因（申请人可见；驳回时必填）</translation>
    </message>
    <message>
      <source>Approve</source>
      <translation>批准</translation>
    </message>
    <message>
      <source>Reject</source>
      <translation>驳回</translation>
    </message>
    <message>
      <source>Refresh</source>
      <translation>刷新</translation>
    </message>
    <message>
      <source>Approvals</source>
      <translation>审批</translation>
    </message>
    <message>
      <source>To decide</source>
      <translation>待我审批</translation>
    </message>
    <message>
      <source>Give a reason for rejecting: the requester reads it</source>
      <translation>请填写驳回原因：申请人会看到</translation>
    </message>
    <message>
      <source>role: %1</source>
      <translation>角色：%1</translation>
    </message>
    <message>
      <source>to %1</source>
      <translation>调往 %1</translation>
    </message>
    <message>
      <source> — reason: %1</source>
      <translation>——原因：%1</translation>
    </message>
    <message>
      <source>Approvals (%1)</source>
      <translation>审批（%1）</translation>
    </message>
    <message>
      <source>Reassign customer %1</source>
      <translation>调整客户 %1 的归属</translation>
    </message>
    <message>
      <source>%1 by %2</source>
      <translation>%1（审批人：%2）</translation>
    </message>
    <message>
      <source>Requested</source>
      <translation>申请时间</translation>
    </message>
    <message>
      <source>Requested by</source>
      <translation>申请人</translation>
    </message>
    <message>
      <source>Request</source>
      <translation>申请事项</translation>
    </message>
    <message>
      <source>Details</source>
      <translation>详情</translation>
    </message>
    <message>
      <source>Approved: %1</source>
      <translation>已批准：%1</translation>
    </message>
    <message>
      <source>Rejected: %1</source>
      <translation>已驳回：%1</translation>
    </message>
    <message>
      <source>Delete customer %1 (%2, %3)</source>
      <translation>删除客户 %1（%2，%3）</translation>
    </message>
    <message>
      <source>Customer no., resident ID, credit code or part of the name</source>
      <translation>客户号、身份证号、统一社会信用代码或部分名称</translation>
    </message>
    <message>
      <source>Search</source>
      <translation>查询</translation>
    </message>
    <message>
      <source>Bring back...</source>
      <translation>恢复...</translation>
    </message>
    <message>
      <source>Bring back this customer?</source>
      <translation>恢复该客户？</translation>
    </message>
    <message>
      <source>Bring back</source>
      <translation>恢复</translation>
    </message>
    <message>
      <source>Bringing back...</source>
      <translation>正在恢复...</translation>
    </message>
    <message>
      <source>No deleted customer found</source>
      <translation>未找到已删除的客户</translation>
    </message>
    <message>
      <source>ID / credit code</source>
      <translation>证件号 / 统一社会信用代码</translation>
    </message>
    <message>
      <source>Deleted</source>
      <translation>删除时间</translation>
    </message>
    <message>
      <source>Approved by</source>
      <translation>批准人</translation>
    </message>
    <message>
      <source>Can be brought back until</source>
      <translation>可恢复截止日期</translation>
    </message>
    <message>
      <source>Bring back %1 (customer no. %2)? They are found by searches again, with their finances and history.</source>
      <translation>恢复 %1（客户号 %2）？恢复后可再次被搜索到，其财务信息和变更历史一并恢复。</translation>
    </message>
    <message>
      <source>Brought back: %1 (%2)</source>
      <translation>已恢复：%1（%2）</translation>
    </message>
    <message>
      <source>All actions</source>
      <translation>全部操作</translation>
    </message>
    <message>
      <source>Change history of customer %1</source>
      <translation>客户 %1 的变更历史</translation>
    </message>
    <message>
      <source>When</source>
      <translation>时间</translation>
    </message>
    <message>
      <source>Who</source>
      <translation>操作人</translation>
    </message>
    <message>
      <source>Object</source>
      <translation>对象</translation>
    </message>
    <message>
      <source>Outcome</source>
      <translation>结果</translation>
    </message>
    <message>
      <source>From</source>
      <translation>来源</translation>
    </message>
    <message>
      <source>%1 entry</source>
      <translation>%1 条记录</translation>
    </message>
    <message>
      <source>%1 entries (newest first)</source>
      <translation>%1 条记录（最新在前）</translation>
    </message>
    <message>
      <source>Finances</source>
      <translation>家庭财务</translation>
    </message>
    <message>
      <source>Identity</source>
      <translation>身份信息</translation>
    </message>
    <message>
      <source>Contact</source>
      <translation>联系方式</translation>
    </message>
    <message>
      <source>Work and income</source>
      <translation>职业与收入</translation>
    </message>
    <message>
      <source>Allocation</source>
      <translation>归属</translation>
    </message>
    <message>
      <source>Changed by someone else</source>
      <translation>记录已被他人修改</translation>
    </message>
    <message>
      <source>This customer was changed and saved by someone else while you were editing. Nothing has been overwritten.</source>
      <translation>在您编辑期间，他人修改并保存了该客户。任何内容都未被覆盖。</translation>
    </message>
    <message>
      <source>Discard mine and load theirs</source>
      <translation>放弃我的修改，载入对方版本</translation>
    </message>
    <message>
      <source>Keep editing mine</source>
      <translation>保留我的修改继续编辑</translation>
    </message>
    <message>
      <source>Delete customer</source>
      <translation>删除客户</translation>
    </message>
    <message>
      <source>The deletion goes to a checker first. Once approved, the customer is archived and no longer found by searches; a branch manager can bring them back within the restore period.</source>
      <translation>删除申请须先经复核人审批。批准后，该客户将被归档，搜索中不再出现；在恢复期限内，支行行长可将其恢复。</translation>
    </message>
    <message>
      <source>Why this customer should be deleted (required)</source>
      <translation>删除该客户的原因（必填）</translation>
    </message>
    <message>
      <source>Continue...</source>
      <translation>继续...</translation>
    </message>
    <message>
      <source>New customer</source>
      <translation>新建客户</translation>
    </message>
    <message>
      <source>History</source>
      <translation>变更历史</translation>
    </message>
    <message>
      <source>Profile</source>
      <translation>客户资料</translation>
    </message>
    <message>
      <source>Save</source>
      <translation>保存</translation>
    </message>
    <message>
      <source>Reload</source>
      <translation>重新加载</translation>
    </message>
    <message>
      <source>Load the customer again (F5)</source>
      <translation>重新加载该客户 (F5)</translation>
    </message>
    <message>
      <source>Delete customer...</source>
      <translation>删除客户...</translation>
    </message>
    <message>
      <source>Ask a checker to delete this customer</source>
      <translation>申请复核人删除该客户</translation>
    </message>
    <message>
      <source>Loading...</source>
      <translation>正在载入…</translation>
    </message>
    <message>
      <source>Saving...</source>
      <translation>正在保存…</translation>
    </message>
    <message>
      <source>Saved</source>
      <translation>已保存</translation>
    </message>
    <message>
      <source>Delete this customer?</source>
      <translation>删除该客户？</translation>
    </message>
    <message>
      <source>Request deletion</source>
      <translation>申请删除</translation>
    </message>
    <message>
      <source>Sending the deletion request...</source>
      <translation>正在提交删除申请...</translation>
    </message>
    <message>
      <source>Deletion requested: waiting for a checker</source>
      <translation>已申请删除：等待复核人审批</translation>
    </message>
    <message>
      <source>This customer has unsaved changes. Discard them?</source>
      <translation>该客户有未保存的修改，是否放弃？</translation>
    </message>
    <message>
      <source>Field</source>
      <translation>字段</translation>
    </message>
    <message>
      <source>Your value</source>
      <translation>您的值</translation>
    </message>
    <message>
      <source>Value saved on the server</source>
      <translation>服务器上已保存的值</translation>
    </message>
    <message>
      <source>Save or undo your changes before reloading</source>
      <translation>重新加载前请先保存或撤销修改</translation>
    </message>
    <message>
      <source>Nothing to save</source>
      <translation>没有需要保存的修改</translation>
    </message>
    <message>
      <source>Masked: type a new value to replace it</source>
      <translation>已遮蔽：输入新值即可替换</translation>
    </message>
    <message>
      <source>Reason: %1</source>
      <translation>原因：%1</translation>
    </message>
    <message>
      <source>Reload the customer and ask again.</source>
      <translation>请重新加载该客户后再申请。</translation>
    </message>
    <message>
      <source>Sent for approval (request %1): a checker must approve the move.</source>
      <translation>已提交审批（申请 %1）：须经复核人批准后才会调整归属。</translation>
    </message>
    <message>
      <source>Request the deletion of %1 (customer no. %2)?</source>
      <translation>确定申请删除 %1（客户号 %2）吗？</translation>
    </message>
    <message>
      <source>Age %1 (masked)</source>
      <translation>年龄 %1（已遮蔽）</translation>
    </message>
    <message>
      <source>Open the existing customer: %1 (%2)</source>
      <translation>打开已有客户：%1（%2）</translation>
    </message>
    <message>
      <source>Name, pinyin (zsf), resident ID, mobile, customer no., or surname and the mobile's last 4 digits (张 5678)</source>
      <translation>姓名、拼音（如 zsf）、身份证号、手机号、客户号，或姓氏加手机尾号后4位（张 5678）</translation>
    </message>
    <message>
      <source>All my branches</source>
      <translation>本机构及下属全部</translation>
    </message>
    <message>
      <source>All customers</source>
      <translation>全部客户</translation>
    </message>
    <message>
      <source>Only my customers</source>
      <translation>仅我管户的客户</translation>
    </message>
    <message>
      <source>Searching...</source>
      <translation>正在查询…</translation>
    </message>
    <message>
      <source>Customers</source>
      <translation>客户</translation>
    </message>
    <message>
      <source>%1 customer</source>
      <translation>共 %1 位客户</translation>
    </message>
    <message>
      <source>%1 customers</source>
      <translation>共 %1 位客户</translation>
    </message>
    <message>
      <source>Excel workbook (*.xlsx)</source>
      <translation>Excel 工作簿 (*.xlsx)</translation>
    </message>
    <message>
      <source>CSV, UTF-8 (*.csv)</source>
      <translation>CSV，UTF-8 编码 (*.csv)</translation>
    </message>
    <message>
      <source>Export list</source>
      <translation>导出列表</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <source>Exporting %1...</source>
      <translation>正在导出%1……</translation>
    </message>
    <message>
      <source>(at most %1 rows)</source>
      <translation>（最多 %1 行）</translation>
    </message>
    <message>
      <source>%1 rows exported to %2</source>
      <translation>已导出 %1 行到 %2</translation>
    </message>
    <message>
      <source>Not an amount (such as 12,000.50)</source>
      <translation>不是金额（例如 12,000.50）</translation>
    </message>
    <message>
      <source>An amount cannot be negative</source>
      <translation>金额不能为负数</translation>
    </message>
    <message>
      <source>At most two decimal places</source>
      <translation>最多两位小数</translation>
    </message>
    <message>
      <source>At most 999,999,999,999.99</source>
      <translation>最大为 999,999,999,999.99</translation>
    </message>
    <message>
      <source>Total assets</source>
      <translation>资产合计</translation>
    </message>
    <message>
      <source>Total liabilities</source>
      <translation>负债合计</translation>
    </message>
    <message>
      <source>Net worth</source>
      <translation>净资产</translation>
    </message>
    <message>
      <source>Total income</source>
      <translation>收入合计</translation>
    </message>
    <message>
      <source>Total expenses</source>
      <translation>支出合计</translation>
    </message>
    <message>
      <source>Savings</source>
      <translation>年结余</translation>
    </message>
    <message>
      <source>Add line…</source>
      <translation>添加项目…</translation>
    </message>
    <message>
      <source>Add a line you name to a group (Insert: to the current row's group)</source>
      <translation>向分组添加自定义项目（Insert 键：添加到当前行所在分组）</translation>
    </message>
    <message>
      <source>Remove line</source>
      <translation>删除项目</translation>
    </message>
    <message>
      <source>Clear line</source>
      <translation>清空项目</translation>
    </message>
    <message>
      <source>Household</source>
      <translation>家庭</translation>
    </message>
    <message>
      <source>Amount</source>
      <translation>金额</translation>
    </message>
    <message>
      <source>Name this line</source>
      <translation>为此项目命名</translation>
    </message>
    <message>
      <source>Income that belongs to no one member, and the expenses</source>
      <translation>不属于某一成员的收入，以及各项支出</translation>
    </message>
    <message>
      <source>Member %1</source>
      <translation>成员 %1</translation>
    </message>
    <message>
      <source>(name this line)</source>
      <translation>（请为此项目命名）</translation>
    </message>
    <message>
      <source>%1 pasted values found no cell below and were not entered</source>
      <translation>%1 个粘贴的数值下方已无单元格，未录入</translation>
    </message>
    <message>
      <source>Now minus %1</source>
      <translation>当前值减 %1</translation>
    </message>
    <message>
      <source>Change: %1</source>
      <translation>变动：%1</translation>
    </message>
    <message>
      <source>A statement holds at most %1 lines</source>
      <translation>一张报表最多 %1 个项目</translation>
    </message>
    <message>
      <source>Item</source>
      <translation>项目</translation>
    </message>
    <message>
      <source>Total</source>
      <translation>合计</translation>
    </message>
    <message>
      <source>Change</source>
      <translation>变动</translation>
    </message>
    <message>
      <source>To correct</source>
      <translation>待更正</translation>
    </message>
    <message>
      <source>%1: %2; now: %3</source>
      <translation>%1：%2；当前：%3</translation>
    </message>
    <message>
      <source>Financial ratios</source>
      <translation>财务比率</translation>
    </message>
    <message>
      <source>Asset mix</source>
      <translation>资产结构</translation>
    </message>
    <message>
      <source>Liability mix</source>
      <translation>负债结构</translation>
    </message>
    <message>
      <source>No assets</source>
      <translation>无资产</translation>
    </message>
    <message>
      <source>No liabilities</source>
      <translation>无负债</translation>
    </message>
    <message>
      <source>Net worth (CNY)</source>
      <translation>净资产（元）</translation>
    </message>
    <message>
      <source>No figures to show yet</source>
      <translation>尚无可显示的数据</translation>
    </message>
    <message>
      <source>Net worth and savings ratio over time</source>
      <translation>净资产与结余比率走势</translation>
    </message>
    <message>
      <source>Save as PDF</source>
      <translation>另存为 PDF</translation>
    </message>
    <message>
      <source>PDF document (*.pdf)</source>
      <translation>PDF 文档 (*.pdf)</translation>
    </message>
    <message>
      <source>Statement preview</source>
      <translation>报告预览</translation>
    </message>
    <message>
      <source>Page</source>
      <translation>页</translation>
    </message>
    <message>
      <source>Ratio</source>
      <translation>比率</translation>
    </message>
    <message>
      <source>Value</source>
      <translation>数值</translation>
    </message>
    <message>
      <source>Reference range</source>
      <translation>参考范围</translation>
    </message>
    <message>
      <source>Verdict</source>
      <translation>评价</translation>
    </message>
    <message>
      <source>No balance sheet yet</source>
      <translation>尚无资产负债表</translation>
    </message>
    <message>
      <source>Print</source>
      <translation>打印</translation>
    </message>
    <message>
      <source>The statement could not be printed</source>
      <translation>报告未能打印</translation>
    </message>
    <message>
      <source>Zoom out</source>
      <translation>缩小</translation>
    </message>
    <message>
      <source>Zoom in</source>
      <translation>放大</translation>
    </message>
    <message>
      <source>Fit width</source>
      <translation>适合宽度</translation>
    </message>
    <message>
      <source>Print...</source>
      <translation>打印...</translation>
    </message>
    <message>
      <source>Save as PDF...</source>
      <translation>另存为 PDF...</translation>
    </message>
    <message>
      <source>The statement could not be shown</source>
      <translation>报告无法显示</translation>
    </message>
    <message>
      <source>Reference ranges version %1</source>
      <translation>参考范围版本 %1</translation>
    </message>
    <message>
      <source>Not shown</source>
      <translation>未显示</translation>
    </message>
    <message>
      <source>Page %1 of %2</source>
      <translation>第 %1 页，共 %2 页</translation>
    </message>
    <message>
      <source>New income table</source>
      <translation>新建年度收支表</translation>
    </message>
    <message>
      <source>Add member</source>
      <translation>添加成员</translation>
    </message>
    <message>
      <source>Remove member</source>
      <translation>删除成员</translation>
    </message>
    <message>
      <source>The balance sheet's date</source>
      <translation>资产负债表日期</translation>
    </message>
    <message>
      <source>The income table's year</source>
      <translation>收支表年度</translation>
    </message>
    <message>
      <source>New balance sheet...</source>
      <translation>新建资产负债表...</translation>
    </message>
    <message>
      <source>New year...</source>
      <translation>新建年度...</translation>
    </message>
    <message>
      <source>Compare with previous</source>
      <translation>与上期比较</translation>
    </message>
    <message>
      <source>Save finances</source>
      <translation>保存财务数据</translation>
    </message>
    <message>
      <source>Save the household, the balance sheet and the income table (Ctrl+S)</source>
      <translation>保存家庭成员、资产负债表和收支表（Ctrl+S）</translation>
    </message>
    <message>
      <source>Reload finances</source>
      <translation>重新加载财务数据</translation>
    </message>
    <message>
      <source>Statement...</source>
      <translation>财务报告...</translation>
    </message>
    <message>
      <source>Preview, print or save the customer's financial statement</source>
      <translation>预览、打印或保存客户的家庭财务报告</translation>
    </message>
    <message>
      <source>Income and expenses</source>
      <translation>收支储蓄</translation>
    </message>
    <message>
      <source>Financial statement</source>
      <translation>家庭财务报告</translation>
    </message>
    <message>
      <source>Print statements for my customers</source>
      <translation>批量打印我的客户的财务报告</translation>
    </message>
    <message>
      <source>Choose...</source>
      <translation>选择...</translation>
    </message>
    <message>
      <source>Language</source>
      <translation>语言</translation>
    </message>
    <message>
      <source>Save into folder</source>
      <translation>保存到文件夹</translation>
    </message>
    <message>
      <source>Printing statements...</source>
      <translation>正在打印报告...</translation>
    </message>
    <message>
      <source>Saving statements...</source>
      <translation>正在保存报告...</translation>
    </message>
    <message>
      <source>Relation</source>
      <translation>关系</translation>
    </message>
    <message>
      <source>No balance sheet or income table yet: start one with "New balance sheet".</source>
      <translation>尚无资产负债表或收支表：请点“新建资产负债表”开始。</translation>
    </message>
    <message>
      <source>Discard the changes you have not saved?</source>
      <translation>放弃尚未保存的修改吗？</translation>
    </message>
    <message>
      <source>New balance sheet</source>
      <translation>新建资产负债表</translation>
    </message>
    <message>
      <source>This customer has a balance sheet of that date already: choose it above.</source>
      <translation>该客户已有该日期的资产负债表：请在上方选择。</translation>
    </message>
    <message>
      <source>This customer has an income table of that year already: choose it above.</source>
      <translation>该客户已有该年度的收支表：请在上方选择。</translation>
    </message>
    <message>
      <source>There is no earlier balance sheet or income table to compare with.</source>
      <translation>没有更早的资产负债表或收支表可供比较。</translation>
    </message>
    <message>
      <source>Changes not saved yet (Ctrl+S saves)</source>
      <translation>修改尚未保存（Ctrl+S 保存）</translation>
    </message>
    <message>
      <source>Save first: the statement prints what is saved.</source>
      <translation>请先保存：报告打印的是已保存的数据。</translation>
    </message>
    <message>
      <source>Printed statements are on the audit trail.</source>
      <translation>打印的报告均记入审计日志。</translation>
    </message>
    <message>
      <source>Choose an existing folder to save the statements into.</source>
      <translation>请选择一个已存在的文件夹来保存报告。</translation>
    </message>
    <message>
      <source>Balance sheet as of</source>
      <translation>资产负债表日期</translation>
    </message>
    <message>
      <source>Income table of</source>
      <translation>收支表年度</translation>
    </message>
    <message>
      <source>Some amounts are not valid: correct the marked cells first.</source>
      <translation>部分金额无效：请先更正标记的单元格。</translation>
    </message>
    <message>
      <source>Reload to see their figures; yours stay on screen until then.</source>
      <translation>请重新加载以查看对方的数据；在此之前您的数据保留在屏幕上。</translation>
    </message>
    <message>
      <source>new</source>
      <translation>新</translation>
    </message>
    <message>
      <source>: </source>
      <translation>：</translation>
    </message>
    <message>
      <source>Printing statements: %1 of %2</source>
      <translation>正在打印报告：%1 / %2</translation>
    </message>
    <message>
      <source>The batch stopped: %1</source>
      <translation>批量打印已停止：%1</translation>
    </message>
    <message>
      <source>Member</source>
      <translation>成员</translation>
    </message>
    <message>
      <source>Saving statements: %1 of %2</source>
      <translation>正在保存报告：%1 / %2</translation>
    </message>
    <message>
      <source>%1 statements saved in %2</source>
      <translation>已将 %1 份报告保存到 %2</translation>
    </message>
    <message>
      <source>What</source>
      <translation>操作</translation>
    </message>
    <message>
      <source>Before</source>
      <translation>修改前</translation>
    </message>
    <message>
      <source>After</source>
      <translation>修改后</translation>
    </message>
    <message>
      <source>member</source>
      <translation>成员</translation>
    </message>
    <message>
      <source>Household members</source>
      <translation>家庭成员</translation>
    </message>
    <message>
      <source>Branch CRM - Log in</source>
      <translation>网点客户关系管理 - 登录</translation>
    </message>
    <message>
      <source>Remember username</source>
      <translation>记住用户名</translation>
    </message>
    <message>
      <source>Keep me logged in on this computer</source>
      <translation>在本机保持登录</translation>
    </message>
    <message>
      <source>No secure password store (keyring) on this computer: you will be asked to log in each time.</source>
      <translation>本机没有安全的密码存储（钥匙串），每次都需要登录。</translation>
    </message>
    <message>
      <source>Branch CRM</source>
      <translation>网点客户关系管理</translation>
    </message>
    <message>
      <source>Server</source>
      <translation>服务器</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>密码</translation>
    </message>
    <message>
      <source>Set up two-step verification</source>
      <translation>设置两步验证</translation>
    </message>
    <message>
      <source>Your role logs in with a second factor: besides your password, a code from an authenticator app on your phone. Set it up once, now.</source>
      <translation>您的角色登录时需要双重验证：除密码外，还需输入手机上身份验证器应用生成的验证码。现在请完成一次性设置。</translation>
    </message>
    <message>
      <source>Back</source>
      <translation>返回</translation>
    </message>
    <message>
      <source>Enter your username and password</source>
      <translation>请输入用户名和密码</translation>
    </message>
    <message>
      <source>Logging in...</source>
      <translation>正在登录…</translation>
    </message>
    <message>
      <source>&amp;Session</source>
      <translation>会话(&amp;S)</translation>
    </message>
    <message>
      <source>Change password...</source>
      <translation>修改密码...</translation>
    </message>
    <message>
      <source>Set up a new authenticator...</source>
      <translation>设置新的身份验证器...</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>退出</translation>
    </message>
    <message>
      <source>&amp;View</source>
      <translation>视图(&amp;V)</translation>
    </message>
    <message>
      <source>Common actions</source>
      <translation>常用操作</translation>
    </message>
    <message>
      <source>Export list...</source>
      <translation>导出列表……</translation>
    </message>
    <message>
      <source>Close tab</source>
      <translation>关闭标签页</translation>
    </message>
    <message>
      <source>&amp;Language</source>
      <translation>语言(&amp;L)</translation>
    </message>
    <message>
      <source>&amp;Help</source>
      <translation>帮助(&amp;H)</translation>
    </message>
    <message>
      <source>Keyboard shortcuts</source>
      <translation>键盘快捷键</translation>
    </message>
    <message>
      <source>Your session has ended: log in again; your open forms are kept.</source>
      <translation>会话已结束，请重新登录；已打开的表单会保留。</translation>
    </message>
    <message>
      <source>Organisations</source>
      <translation>机构</translation>
    </message>
    <message>
      <source>Find a customer</source>
      <translation>查找客户</translation>
    </message>
    <message>
      <source>Deleted customers</source>
      <translation>已删除客户</translation>
    </message>
    <message>
      <source>Print statements for my customers...</source>
      <translation>批量打印我的客户的财务报告...</translation>
    </message>
    <message>
      <source>Not encrypted</source>
      <translation>未加密</translation>
    </message>
    <message>
      <source>The connection to the server is plain HTTP: what is sent and received is not encrypted. The client allows this only to a server on this computer; any other server needs its https:// address.</source>
      <translation>与服务器的连接是明文 HTTP：收发的内容均未加密。客户端只允许对本机上的服务器这样连接；其他服务器须使用其 https:// 地址。</translation>
    </message>
    <message>
      <source>This tab holds no list to export</source>
      <translation>此标签页没有可导出的列表</translation>
    </message>
    <message>
      <source>Open the customer chosen / the one found</source>
      <translation>打开选中的客户 / 唯一查到的客户</translation>
    </message>
    <message>
      <source>Enter</source>
      <translation>回车键</translation>
    </message>
    <message>
      <source>From the search box into the results</source>
      <translation>从搜索框进入结果列表</translation>
    </message>
    <message>
      <source>Down arrow</source>
      <translation>下方向键</translation>
    </message>
    <message>
      <source>Next field</source>
      <translation>下一个输入项</translation>
    </message>
    <message>
      <source>Tab</source>
      <translation>Tab 键</translation>
    </message>
    <message>
      <source>Clear the search box; close a dialog without its changes</source>
      <translation>清空搜索框；关闭对话框（不保留修改）</translation>
    </message>
    <message>
      <source>Esc</source>
      <translation>Esc 键</translation>
    </message>
    <message>
      <source>Kind</source>
      <translation>类别</translation>
    </message>
    <message>
      <source>Code</source>
      <translation>代码</translation>
    </message>
    <message>
      <source>Name</source>
      <comment>of an organisation</comment>
      <translation>机构名称</translation>
    </message>
    <message>
      <source>New organisation under the selected one</source>
      <translation>在所选机构下新建</translation>
    </message>
    <message>
      <source>Edit</source>
      <translation>编辑</translation>
    </message>
    <message>
      <source>Edit organisation</source>
      <translation>编辑机构</translation>
    </message>
    <message>
      <source>New organisation</source>
      <translation>新建机构</translation>
    </message>
    <message>
      <source>Under</source>
      <translation>上级机构</translation>
    </message>
    <message>
      <source>Saved %1</source>
      <translation>已保存 %1</translation>
    </message>
    <message>
      <source>%1 was changed by someone else meanwhile; nothing was saved. Check and try again.</source>
      <translation>%1 已被他人修改，本次未保存任何内容。请核对后重试。</translation>
    </message>
    <message>
      <source>Change password</source>
      <translation>修改密码</translation>
    </message>
    <message>
      <source>Authenticator code</source>
      <translation>身份验证器验证码</translation>
    </message>
    <message>
      <source>Current password</source>
      <translation>当前密码</translation>
    </message>
    <message>
      <source>Your password was reset: choose your own before you carry on.</source>
      <translation>您的密码已被重置：请先设置自己的新密码再继续。</translation>
    </message>
    <message>
      <source>At least 12 characters; a phrase of several words is easy to remember.</source>
      <translation>至少 12 个字符；由几个词组成的短语更容易记住。</translation>
    </message>
    <message>
      <source>The 6-digit code of your app, or a recovery code</source>
      <translation>应用中的 6 位验证码，或一个恢复码</translation>
    </message>
    <message>
      <source>Enter the 6 digits your authenticator app shows</source>
      <translation>请输入身份验证器应用显示的 6 位数字</translation>
    </message>
    <message>
      <source>QR code for the authenticator app</source>
      <translation>供身份验证器应用扫描的二维码</translation>
    </message>
    <message>
      <source>Verify</source>
      <translation>验证</translation>
    </message>
    <message>
      <source>Two-step verification</source>
      <translation>两步验证</translation>
    </message>
    <message>
      <source>Enter the whole recovery code, as it is on your list</source>
      <translation>请按清单所列输入完整的恢复码</translation>
    </message>
    <message>
      <source>Key for entering by hand</source>
      <translation>手动输入用的密钥</translation>
    </message>
    <message>
      <source>Copy key</source>
      <translation>复制密钥</translation>
    </message>
    <message>
      <source>Cannot scan it? Add the account by hand, time-based, with this key:</source>
      <translation>无法扫描？请手动添加账户（选择“基于时间”），并输入以下密钥：</translation>
    </message>
    <message>
      <source>Copied</source>
      <translation>已复制</translation>
    </message>
    <message>
      <source>Your recovery codes</source>
      <translation>您的恢复码</translation>
    </message>
    <message>
      <source>If you lose your phone, each of these codes lets you log in once instead of a code from the app. Store them now somewhere safe and apart from your phone, in a password manager or on paper. They are shown only this once.</source>
      <translation>如果手机丢失，每个恢复码可代替应用中的验证码登录一次。请立即将它们保存在安全且与手机分开的地方，例如密码管理器或纸上。恢复码仅显示这一次。</translation>
    </message>
    <message>
      <source>Copy</source>
      <translation>复制</translation>
    </message>
    <message>
      <source>Save to file...</source>
      <translation>保存到文件...</translation>
    </message>
    <message>
      <source>I have stored these codes in a safe place</source>
      <translation>我已将这些恢复码保存在安全的地方</translation>
    </message>
    <message>
      <source>Continue</source>
      <translation>继续</translation>
    </message>
    <message>
      <source>The codes are on the clipboard: paste them into your password manager.</source>
      <translation>恢复码已复制到剪贴板，请粘贴到您的密码管理器中。</translation>
    </message>
    <message>
      <source>Branch CRM recovery codes</source>
      <translation>网点客户关系管理恢复码</translation>
    </message>
    <message>
      <source>Sent to the printer.</source>
      <translation>已发送到打印机。</translation>
    </message>
    <message>
      <source>Set up a new authenticator</source>
      <translation>设置新的身份验证器</translation>
    </message>
    <message>
      <source>Current code</source>
      <translation>当前验证码</translation>
    </message>
    <message>
      <source>Scan the new QR code</source>
      <translation>扫描新的二维码</translation>
    </message>
    <message>
      <source>Your account has a second factor: enter the code of your authenticator app (or a recovery code)</source>
      <translation>您的账户已启用双重验证：请输入身份验证器应用中的验证码（或一个恢复码）</translation>
    </message>
    <message>
      <source>6-digit code</source>
      <translation>6 位验证码</translation>
    </message>
    <message>
      <source>Checking the code...</source>
      <translation>正在核验验证码…</translation>
    </message>
    <message>
      <source>Enter one of the recovery codes you stored when you set up your authenticator. Each code works once.</source>
      <translation>请输入设置身份验证器时保存的恢复码之一。每个恢复码只能使用一次。</translation>
    </message>
    <message>
      <source>Use the code from the authenticator app instead</source>
      <translation>改用身份验证器应用的验证码</translation>
    </message>
    <message>
      <source>Enter the 6-digit code your authenticator app shows for Branch CRM.</source>
      <translation>请输入身份验证器应用中“Branch CRM”显示的 6 位验证码。</translation>
    </message>
    <message>
      <source>Use a recovery code instead</source>
      <translation>改用恢复码</translation>
    </message>
    <message>
      <source>1. Install an authenticator app on your phone, such as Microsoft Authenticator, Google Authenticator or FreeOTP.</source>
      <translation>1. 在手机上安装身份验证器应用，例如 Microsoft Authenticator、Google Authenticator 或 FreeOTP。</translation>
    </message>
    <message>
      <source>2. In the app, add an account and scan the QR code.</source>
      <translation>2. 在应用中添加账户并扫描二维码。</translation>
    </message>
    <message>
      <source>Account</source>
      <translation>账户</translation>
    </message>
    <message>
      <source>Key</source>
      <translation>密钥</translation>
    </message>
    <message>
      <source>3. Enter the 6-digit code the app now shows:</source>
      <translation>3. 输入应用当前显示的 6 位验证码：</translation>
    </message>
    <message>
      <source>Store your recovery codes</source>
      <translation>请保存您的恢复码</translation>
    </message>
    <message>
      <source>Each code works once.</source>
      <translation>每个恢复码只能使用一次。</translation>
    </message>
    <message>
      <source>Save recovery codes</source>
      <translation>保存恢复码</translation>
    </message>
    <message>
      <source>Text file (*.txt)</source>
      <translation>文本文件 (*.txt)</translation>
    </message>
    <message>
      <source>Store the codes first, then tick the box.</source>
      <translation>请先保存恢复码，再勾选确认框。</translation>
    </message>
    <message>
      <source>Confirm it is you</source>
      <translation>确认是您本人</translation>
    </message>
    <message>
      <source>Enter your password and, if you already use an authenticator app, a code from it (or a recovery code). The one you use now keeps working until the new one is confirmed.</source>
      <translation>请输入密码；如果您已在使用身份验证器应用，还需输入其中的验证码（或一个恢复码）。在新的验证器确认之前，当前使用的验证器仍然有效。</translation>
    </message>
    <message>
      <source>Recovery code</source>
      <translation>恢复码</translation>
    </message>
    <message>
      <source>Code or recovery code</source>
      <translation>验证码或恢复码</translation>
    </message>
    <message>
      <source>Saved to %1</source>
      <translation>已保存到 %1</translation>
    </message>
    <message>
      <source>Issued on</source>
      <translation>生成日期</translation>
    </message>
    <message>
      <source>Your new authenticator is set up: log in with its codes from now on. The old one no longer works.</source>
      <translation>新的身份验证器已设置完成：今后请使用它的验证码登录。旧的验证器已失效。</translation>
    </message>
    <message>
      <source>Active</source>
      <translation>正常</translation>
    </message>
    <message>
      <source>Locked</source>
      <translation>已锁定</translation>
    </message>
    <message>
      <source>Must change password</source>
      <translation>须修改密码</translation>
    </message>
    <message>
      <source>Must change it at the first login</source>
      <translation>首次登录时必须修改密码</translation>
    </message>
    <message>
      <source>Suggest a strong password</source>
      <translation>生成强密码</translation>
    </message>
    <message>
      <source>Reset password</source>
      <translation>重置密码</translation>
    </message>
    <message>
      <source>Username or name</source>
      <translation>用户名或姓名</translation>
    </message>
    <message>
      <source>All roles</source>
      <translation>全部角色</translation>
    </message>
    <message>
      <source>Lock</source>
      <translation>锁定</translation>
    </message>
    <message>
      <source>Unlock</source>
      <translation>解锁</translation>
    </message>
    <message>
      <source>End all sessions</source>
      <translation>强制下线</translation>
    </message>
    <message>
      <source>Granting this role needs the approval of a second head-office admin.</source>
      <translation>授予该角色需另一位总行管理员审批。</translation>
    </message>
    <message>
      <source>Reset the password of %1</source>
      <translation>重置 %1 的密码</translation>
    </message>
    <message>
      <source>%1 will have to choose a new password at the next login; their open sessions end now.</source>
      <translation>%1 下次登录时须设置新密码；其现有会话立即失效。</translation>
    </message>
    <message>
      <source>Sent for approval (request %1): a second head-office admin must approve it.</source>
      <translation>已提交审批（申请 %1）：需另一位总行管理员批准。</translation>
    </message>
    <message>
      <source>Edit user %1</source>
      <translation>编辑用户 %1</translation>
    </message>
    <message>
      <source>%1 user</source>
      <translation>%1 个用户</translation>
    </message>
    <message>
      <source>%1 users</source>
      <translation>%1 个用户</translation>
    </message>
    <message>
      <source>%1 is locked and logged out.</source>
      <translation>%1 已锁定并强制下线。</translation>
    </message>
    <message>
      <source>%1 is unlocked.</source>
      <translation>%1 已解锁。</translation>
    </message>
    <message>
      <source>The password of %1 was reset; they must change it at the next login.</source>
      <translation>%1 的密码已重置；其下次登录时须修改密码。</translation>
    </message>
    <message>
      <source>Every session of %1 has ended.</source>
      <translation>%1 的所有会话已结束。</translation>
    </message>
    <message>
      <source>New password</source>
      <translation>新密码</translation>
    </message>
    <message>
      <source>Repeat it</source>
      <translation>再次输入</translation>
    </message>
    <message>
      <source>You may try again now</source>
      <translation>现在可以重试</translation>
    </message>
  </context>
</TS>
