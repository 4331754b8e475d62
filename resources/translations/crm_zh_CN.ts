<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
  <context>
    <name>crm</name>
    <message>
      <source>Name</source>
      <translation>姓名</translation>
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
      <source>Account manager</source>
      <translation>客户经理</translation>
    </message>
    <message>
      <source>Type</source>
      <translation>类型</translation>
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
      <source>Sub-branch</source>
      <translation>分理处</translation>
    </message>
    <message>
      <source>Created</source>
      <translation>新建</translation>
    </message>
    <message>
      <source>Changed</source>
      <translation>修改</translation>
    </message>
    <message>
      <source>(%1 s)</source>
      <translation>（%1 秒）</translation>
    </message>
    <message>
      <source>Customer no.</source>
      <translation>客户号</translation>
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
      <source>Save</source>
      <translation>保存</translation>
    </message>
    <message>
      <source>Profile</source>
      <translation>客户资料</translation>
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
      <source>Unsaved changes</source>
      <translation>有未保存的修改</translation>
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
      <source>When</source>
      <translation>时间</translation>
    </message>
    <message>
      <source>Who</source>
      <translation>操作人</translation>
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
      <source>History</source>
      <translation>变更历史</translation>
    </message>
    <message>
      <source>New customer</source>
      <translation>新建客户</translation>
    </message>
    <message>
      <source>Nothing to save</source>
      <translation>没有需要保存的修改</translation>
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
      <source>(your input is kept: save again)</source>
      <translation>（您的输入已保留，请再次保存）</translation>
    </message>
    <message>
      <source>Name, pinyin (zsf), resident ID, mobile or customer no.</source>
      <translation>姓名、拼音（如 zsf）、身份证号、手机号或客户号</translation>
    </message>
    <message>
      <source>Searching...</source>
      <translation>正在查询…</translation>
    </message>
    <message>
      <source>%1 customers</source>
      <translation>共 %1 位客户</translation>
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
      <source>Username</source>
      <translation>用户名</translation>
    </message>
    <message>
      <source>Password</source>
      <translation>密码</translation>
    </message>
    <message>
      <source>Log in</source>
      <translation>登录</translation>
    </message>
    <message>
      <source>Cancel</source>
      <translation>取消</translation>
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
      <source>Log out</source>
      <translation>退出登录</translation>
    </message>
    <message>
      <source>Quit</source>
      <translation>退出</translation>
    </message>
    <message>
      <source>&amp;Language</source>
      <translation>语言(&amp;L)</translation>
    </message>
    <message>
      <source>Your session has ended: log in again; your open forms are kept.</source>
      <translation>会话已结束，请重新登录；已打开的表单会保留。</translation>
    </message>
    <message>
      <source>Customers</source>
      <translation>客户</translation>
    </message>
    <message>
      <source>Organisations</source>
      <translation>机构</translation>
    </message>
    <message>
      <source>Organisation</source>
      <translation>机构</translation>
    </message>
    <message>
      <source>Code</source>
      <translation>代码</translation>
    </message>
    <message>
      <source>Kind</source>
      <translation>类别</translation>
    </message>
  </context>
</TS>
